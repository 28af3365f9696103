{{define "attention.wgsl"}}
{{- if .Tiled}}{{template "attention_tiled" .}}{{else}}
{{- if .Generic}}
// Softmax attention over L tokens, HEADS heads x {{.HeadDim}} (generic: the sizes
// are read from Params, see kernels.renderDims):
{{- else}}
// Softmax attention over L = {{.L}} tokens, {{.Heads}} heads x {{.HeadDim}}:
{{- end}}
// one invocation handles {{.TQ}} queries of one (image, head) (index: query block
// fastest, then head, then image) and streams over the keys one at a time with an online
// softmax: per query a running max m, sum l and output o, rescaled by
// exp(m_old - m_new) at each key. K and V are read from storage and shared by
// the {{.TQ}} queries. Input channels [head][q|k|v][d], output [head][d].
{{.Decls}}
{{- .Dims}}
const D4 = {{u32 .D4}};
const SCALE = {{f32 .Scale}};
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
{{- .LoadDims}}
  let g = (wid.y * GX + wid.x) * {{u32 .WG}} + lid;
  let idx = min(g, TOTAL - 1u);
  let qb = idx % QB;
  let head = (idx / QB) % HEADS;
  let tok0 = (idx / QB / HEADS) * L;
  let koff = head * 3u * D4 + D4;
{{- range $i := seq .TQ}}
  let t{{$i}} = min(qb * {{u32 $.TQ}} + {{u32 $i}}, L - 1u);
  let qa{{$i}} = (tok0 + t{{$i}}) * CI4 + koff - D4;
{{- range $d := seq $.D4}}
  let q{{$i}}_{{$d}} = X[qa{{$i}} + {{u32 $d}}] * SCALE;
  var o{{$i}}_{{$d}} = vec4<f32>(0.0);
{{- end}}
  var m{{$i}} = -1e30;
  var l{{$i}} = 0.0;
{{- end}}
  for (var s = 0u; s < L; s = s + 1u) {
    let ka = (tok0 + s) * CI4 + koff;
{{- range $d := seq .D4}}
    let k{{$d}} = X[ka + {{u32 $d}}];
{{- end}}
{{- range $i := seq .TQ}}
    let s{{$i}} = {{range $d := seq $.D4}}{{if $d}} + {{end}}dot(q{{$i}}_{{$d}}, k{{$d}}){{end}};
    let mx{{$i}} = max(m{{$i}}, s{{$i}});
    let cr{{$i}} = exp(m{{$i}} - mx{{$i}});
    let p{{$i}} = exp(s{{$i}} - mx{{$i}});
    l{{$i}} = l{{$i}} * cr{{$i}} + p{{$i}};
    m{{$i}} = mx{{$i}};
{{- end}}
{{- range $d := seq .D4}}
    let v{{$d}} = X[ka + D4 + {{u32 $d}}];
{{- range $i := seq $.TQ}}
    o{{$i}}_{{$d}} = fma(vec4<f32>(p{{$i}}), v{{$d}}, o{{$i}}_{{$d}} * cr{{$i}});
{{- end}}
{{- end}}
  }
  if (g < TOTAL) {
{{- range $i := seq .TQ}}
    if (qb * {{u32 $.TQ}} + {{u32 $i}} < L) {
      let oa = (tok0 + t{{$i}}) * CO4 + head * D4;
      let inv = 1.0 / l{{$i}};
{{- range $d := seq $.D4}}
      O[oa + {{u32 $d}}] = o{{$i}}_{{$d}} * inv;
{{- end}}
    }
{{- end}}
  }
}
{{end}}
{{end}}

{{define "attention_tiled"}}
{{- if .Enable}}
{{.Enable}}
{{- end}}
// Softmax attention over L = {{.L}} tokens, {{.Heads}} heads x {{.HeadDim}}, for GPUs: one
// workgroup handles {{.TQ}} queries of one (image, head) (workgroup index: query block
// fastest, then head, then image), one output vec4 per invocation (query lid / D4,
// vec4 lid % D4). It stages the scaled queries once, then per chunk of {{.KB}} keys the
// keys and values, computes the {{.TQ}}x{{.KB}} scores cooperatively into workgroup
// memory, and updates each query's online softmax (max m, sum l, output o
// rescaled by exp(m_old - m_new)) from the chunk's scores and values.
{{- if .Subgroups}}
// With subgroups, each subgroup takes a slot from a counter (no assumption on
// how invocations form subgroups) and handles the softmax statistics of the
// queries slot, slot + count, ...: subgroupMax and subgroupAdd over the chunk's
// scores, which it turns into probabilities in place; the invocations then
// read the probabilities and the rescale factor of their query.
{{- else}}
// Each invocation takes its query's chunk max over the scores itself.
{{- end}}
// Input channels [head][q|k|v][d], output [head][d].
{{.Decls}}
const L = {{u32 .L}};
const D4 = {{u32 .D4}};
const CI4 = {{u32 (mul (mul .Heads 3) .D4)}};
const CO4 = {{u32 (mul .Heads .D4)}};
const QB = {{u32 .QB}};
const HEADS = {{u32 .Heads}};
const TQ = {{u32 .TQ}};
const KB = {{u32 .KB}};
const WG = {{u32 .WG}};
const TILES = {{u32 .Tiles}};
const SCALE = {{f32 .Scale}};
var<workgroup> qs: array<vec4<f32>, {{mul .TQ .D4}}>;
// ks rows are padded by one vec4 (KS4 = D4 + 1): neighbouring invocations
// read neighbouring keys' rows, which then fall in different memory banks.
const KS4 = {{u32 (add .D4 1)}};
var<workgroup> ks: array<vec4<f32>, {{mul .KB (add .D4 1)}}>;
var<workgroup> vs: array<vec4<f32>, {{mul .KB .D4}}>;
var<workgroup> sc: array<f32, {{mul .TQ .KB}}>;
{{- if .Subgroups}}
var<workgroup> rowm: array<f32, {{.TQ}}>;
var<workgroup> rowl: array<f32, {{.TQ}}>;
var<workgroup> rowc: array<f32, {{.TQ}}>;
var<workgroup> nsub: atomic<u32>;
{{- end}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{{if .Subgroups}},
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sgsize: u32{{end}}) {
  let wgi = wid.y * {{u32 .GX}} + wid.x;
  let t = min(wgi, TILES - 1u);
  let q0 = (t % QB) * TQ;
  let head = (t / QB) % HEADS;
  let tok0 = (t / QB / HEADS) * L;
  let koff = head * 3u * D4 + D4;
  for (var i = lid; i < TQ * D4; i = i + WG) {
    qs[i] = X[(tok0 + min(q0 + i / D4, L - 1u)) * CI4 + koff - D4 + i % D4] * SCALE;
  }
  let qi = lid / D4;
  let d4 = lid % D4;
  let row = qi * KB;
  var o = vec4<f32>(0.0);
{{- if .Subgroups}}
  for (var i = lid; i < TQ; i = i + WG) {
    rowm[i] = -1e30;
    rowl[i] = 0.0;
  }
  var slot = 0u;
  if (lane == 0u) {
    slot = atomicAdd(&nsub, 1u);
  }
  slot = subgroupBroadcast(slot, 0u);
{{- else}}
  var m = -1e30;
  var l = 0.0;
{{- end}}
  for (var c0 = 0u; c0 < L; c0 = c0 + KB) {
    for (var i = lid; i < KB * D4; i = i + WG) {
      let a = (tok0 + min(c0 + i / D4, L - 1u)) * CI4 + koff + i % D4;
      ks[(i / D4) * KS4 + i % D4] = X[a];
      vs[i] = X[a + D4];
    }
    workgroupBarrier();
    for (var e = lid; e < TQ * KB; e = e + WG) {
      let qb = (e / KB) * D4;
      let kb = (e % KB) * KS4;
      let s = {{range $d := seq .D4}}{{if $d}} + {{end}}dot(qs[qb + {{u32 $d}}], ks[kb + {{u32 $d}}]){{end}};
      sc[e] = select(-3e38, s, c0 + e % KB < L);
    }
    workgroupBarrier();
{{- if .Subgroups}}
    let count = atomicLoad(&nsub);
    for (var r = slot; r < TQ; r = r + count) {
      let m0 = rowm[r];
      var mx = m0;
      for (var k = lane; k < KB; k = k + sgsize) {
        mx = max(mx, sc[r * KB + k]);
      }
      mx = subgroupMax(mx);
      var sum = 0.0;
      for (var k = lane; k < KB; k = k + sgsize) {
        let p = exp(sc[r * KB + k] - mx);
        sc[r * KB + k] = p;
        sum = sum + p;
      }
      sum = subgroupAdd(sum);
      if (lane == 0u) {
        let c = exp(m0 - mx);
        rowc[r] = c;
        rowl[r] = rowl[r] * c + sum;
        rowm[r] = mx;
      }
    }
    workgroupBarrier();
    o = o * rowc[qi];
    for (var k = 0u; k < KB; k = k + 1u) {
      o = fma(vec4<f32>(sc[row + k]), vs[k * D4 + d4], o);
    }
{{- else}}
    var mx = m;
    for (var k = 0u; k < KB; k = k + 1u) {
      mx = max(mx, sc[row + k]);
    }
    let cr = exp(m - mx);
    l = l * cr;
    o = o * cr;
    for (var k = 0u; k < KB; k = k + 1u) {
      let p = exp(sc[row + k] - mx);
      l = l + p;
      o = fma(vec4<f32>(p), vs[k * D4 + d4], o);
    }
    m = mx;
{{- end}}
    workgroupBarrier();
  }
{{- if .Subgroups}}
  let l = rowl[qi];
{{- end}}
  if (wgi < TILES && q0 + qi < L) {
    O[(tok0 + q0 + qi) * CO4 + head * D4 + d4] = o / l;
  }
}
{{end}}
