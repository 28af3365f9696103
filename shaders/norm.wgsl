{{/*
Per-image statistics shared by the GroupNorm statistics kernel and the
LayerNorm kernel: the template data has WG (a power of two), S4 (vec4 per
image), Loads (vec4 loads in flight per invocation and loop step), Subgroups
and the shader declares X.
*/}}
{{define "norm_chan"}}
// chan merges two (count, mean, M2) triples.
fn chan(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return vec3<f32>(0.0); }
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3<f32>(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}
{{- end}}

{{define "norm_stats"}}
// Statistics of vec4 values in one workgroup of WG invocations. All values
// are first taken relative to K, the image's first value, so that partial
// means are small numbers with full f32 precision whatever the image's mean
// (x - K is exact for x near K). Each invocation runs Welford's update per
// vec4 lane over its values (robust to outliers, unlike a shifted sum of
// squares), merges its 4 lanes, and the workgroup merges the (count, mean,
// M2) triples with Chan's formula in a tree over workgroup memory. S4 is
// in .Dims (a constant, or read from Params by a generic kernel).
{{- .Dims}}
const WG = {{u32 .WG}};
const EPS = 1e-5;
{{- if .Subgroups}}
// With subgroups: two workgroup sums instead of the tree. Each subgroup
// adds its values with subgroupAdd and its first lane stores the sum in the
// subgroup's slot, taken from a counter (no assumption on how invocations
// form subgroups); every invocation then adds the slots in slot order, so
// all get the same total.
var<workgroup> part1: array<vec2<f32>, {{.WG}}>;
var<workgroup> part2: array<f32, {{.WG}}>;
var<workgroup> nsub: atomic<u32>;
{{- else}}
var<workgroup> red: array<vec3<f32>, {{.WG}}>;
{{- template "norm_chan"}}
{{- end}}
// reduce returns (count, mean, M2) of X[base + lo .. base + hi) relative to
// k; every invocation of the workgroup must call it (it has barriers).
fn reduce(base: u32, lo: u32, hi: u32, k: vec4<f32>, lid: u32{{if .Subgroups}}, lane: u32{{end}}) -> vec3<f32> {
  var mc = vec4<f32>(0.0);
  var m2c = vec4<f32>(0.0);
  var n = 0.0;
{{- if gt .Loads 1}}
  // {{.Loads}} loads in flight per step, then their Welford updates in order.
  for (var i0 = lo + lid; i0 < hi; i0 = i0 + {{mul .Loads .WG}}u) {
{{- range $j := seq .Loads}}
    let i{{$j}} = i0 + {{mul $j $.WG}}u;
    let x{{$j}} = X[base + min(i{{$j}}, S4 - 1u)] - k;
{{- end}}
{{- range $j := seq .Loads}}
    if (i{{$j}} < hi) {
      n = n + 1.0;
      let d = x{{$j}} - mc;
      mc = mc + d / n;
      m2c = fma(d, x{{$j}} - mc, m2c);
    }
{{- end}}
  }
{{- else}}
  for (var i = lo + lid; i < hi; i = i + WG) {
    let x = X[base + i] - k;
    n = n + 1.0;
    let d = x - mc;
    mc = mc + d / n;
    m2c = fma(d, x - mc, m2c);
  }
{{- end}}
  let mean = (mc.x + mc.y + mc.z + mc.w) * 0.25;
  let dm = mc - vec4<f32>(mean);
  let m2 = m2c.x + m2c.y + m2c.z + m2c.w + n * dot(dm, dm);
{{- if .Subgroups}}
  var slot = 0u;
  if (lane == 0u) {
    slot = atomicAdd(&nsub, 1u);
  }
  let s1 = subgroupAdd(vec2<f32>(4.0 * n, 4.0 * n * mean));
  if (lane == 0u) {
    part1[slot] = s1;
  }
  workgroupBarrier();
  let count = atomicLoad(&nsub);
  var t1 = vec2<f32>(0.0);
  for (var j = 0u; j < count; j = j + 1u) {
    t1 = t1 + part1[j];
  }
  let mu = select(0.0, t1.y / t1.x, t1.x > 0.0);
  let s2 = subgroupAdd(m2 + 4.0 * n * (mean - mu) * (mean - mu));
  if (lane == 0u) {
    part2[slot] = s2;
  }
  workgroupBarrier();
  var t2 = 0.0;
  for (var j = 0u; j < count; j = j + 1u) {
    t2 = t2 + part2[j];
  }
  return vec3<f32>(t1.x, mu, t2);
{{- else}}
  red[lid] = vec3<f32>(4.0 * n, mean, m2);
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st / 2u) {
    if (lid < st) {
      red[lid] = chan(red[lid], red[lid + st]);
    }
    workgroupBarrier();
  }
  return red[0];
{{- end}}
}
// finish turns an image's (count, mean, M2) relative to k into (mean,
// 1/sqrt(biased variance + eps)).
fn finish(r: vec3<f32>, k: f32) -> vec2<f32> {
  return vec2<f32>(k + r.y, 1.0 / sqrt(max(r.z, 0.0) / r.x + EPS));
}
// stats returns (mean, 1/sqrt(biased variance + eps)) of X[base .. base+S4);
// every invocation of the workgroup must call it (it has barriers).
fn stats(base: u32, lid: u32{{if .Subgroups}}, lane: u32{{end}}) -> vec2<f32> {
  let k = vec4<f32>(X[base].x);
  return finish(reduce(base, 0u, S4, k, lid{{if .Subgroups}}, lane{{end}}), k.x);
}
{{end}}

{{define "gnstats.wgsl"}}
{{- if .Enable}}
{{.Enable}}
{{- end}}
{{- if gt .Parts 1}}
// GroupNorm(1, C) statistics in {{.Parts}} parts per image: workgroup n * {{.Parts}} + p
// reduces part p ({{.PS4}} vec4) of image n's H*W*C values and writes its
// (count, mean, M2) relative to K, the image's first value, and K:
// Stats[n][p] = (count, mean - K, M2, K); GroupNormApply merges the parts.
{{- else}}
// GroupNorm(1, C) statistics: one workgroup per image over its H*W*C values.
// Stats[n] = (mean, rstd = 1/sqrt(biased variance + 1e-5)), i.e. a flat
// [N][2] f32 buffer.
{{- end}}
{{.Decls}}
{{- template "norm_stats" .}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{{if .Subgroups}}, @builtin(subgroup_invocation_id) lane: u32{{end}}) {
{{- .LoadDims}}
{{- if gt .Parts 1}}
  let base = wid.x / {{u32 .Parts}} * S4;
  let lo = wid.x % {{u32 .Parts}} * {{u32 .PS4}};
  let k = vec4<f32>(X[base].x);
  let r = reduce(base, lo, min(lo + {{u32 .PS4}}, S4), k, lid{{if .Subgroups}}, lane{{end}});
  if (lid == 0u) {
    Stats[wid.x] = vec4<f32>(r, k.x);
  }
{{- else}}
  let st = stats(wid.x * S4, lid{{if .Subgroups}}, lane{{end}});
  if (lid == 0u) {
    Stats[wid.x] = st;
  }
{{- end}}
}
{{end}}

{{define "gnapply.wgsl"}}
// GroupNorm(1, C) apply: Y = (X - mean) * rstd * gamma[c] + beta[c] with the
// per-image (mean, rstd) of Stats{{if gt .Parts 1}}, merged from its {{.Parts}} parts{{end}}. One invocation handles 4 channels of
// {{.PX}} pixels (index: c4 fastest, then pixel block, then image).
{{.Decls}}
{{- .Dims}}
{{- if gt .Parts 1}}
{{- template "norm_chan"}}
{{- end}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
{{- .LoadDims}}
  let g = (wid.y * GX + wid.x) * {{u32 .WG}} + lid;
  if (g >= TOTAL) { return; }
  let c4 = g % C4;
  let p0 = (g / C4) % PB * {{u32 .PX}};
  let n = g / C4 / PB;
{{- if gt .Parts 1}}
  let s0 = Stats[n * {{u32 .Parts}}];
  var r = s0.xyz;
  for (var p = 1u; p < {{u32 .Parts}}; p = p + 1u) {
    r = chan(r, Stats[n * {{u32 .Parts}} + p].xyz);
  }
  let st = vec2<f32>(s0.w + r.y, 1.0 / sqrt(max(r.z, 0.0) / r.x + 1e-5));
{{- else}}
  let st = Stats[n];
{{- end}}
  let a = st.y * Gamma[c4];
  let b = Beta[c4];
  let mean = vec4<f32>(st.x);
{{- range $j := seq .PX}}
  if (p0 + {{u32 $j}} < HW) {
    let o = (n * HW + p0 + {{u32 $j}}) * C4 + c4;
    Y[o] = fma(X[o] - mean, a, b); // x - mean first: no cancellation for a large mean
  }
{{- end}}
}
{{end}}

{{define "layernorm.wgsl"}}
{{- if .Enable}}
{{.Enable}}
{{- end}}
{{- template "common"}}
// LayerNorm over the 4·S4 values of each image, then the affine and
// {{if .ActFn}}{{.ActFn}}{{else}}no activation{{end}}: one workgroup per image.
{{.Decls}}
{{- template "norm_stats" .}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{{if .Subgroups}}, @builtin(subgroup_invocation_id) lane: u32{{end}}) {
{{- .LoadDims}}
  let base = wid.x * S4;
  let st = stats(base, lid{{if .Subgroups}}, lane{{end}});
  for (var i = lid; i < S4; i = i + WG) {
    let y = (X[base + i] - vec4<f32>(st.x)) * st.y * Gamma[i] + Beta[i];
    Y[base + i] = {{if .ActFn}}{{.ActFn}}(y){{else}}y{{end}};
  }
}
{{end}}
