{{define "attention.wgsl"}}
{{- if .Tiled}}{{template "attention_tiled" .}}{{else}}
// Softmax attention over L = {{.L}} tokens, {{.Heads}} heads x {{.HeadDim}}: one invocation
// handles {{.TQ}} queries of one (image, head) (index: query block fastest, then
// head, then image) and streams over the keys one at a time with an online
// softmax: per query a running max m, sum l and output o, rescaled by
// exp(m_old - m_new) at each key. K and V are read from storage and shared by
// the {{.TQ}} queries. Input channels [head][q|k|v][d], output [head][d].
{{.Decls}}
const L = {{u32 .L}};
const D4 = {{u32 .D4}};
const CI4 = {{u32 (mul (mul .Heads 3) .D4)}};
const CO4 = {{u32 (mul .Heads .D4)}};
const QB = {{u32 .QB}};
const HEADS = {{u32 .Heads}};
const TOTAL = {{u32 .Total}};
const SCALE = {{f32 .Scale}};
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = (wid.y * {{u32 .GX}} + wid.x) * {{u32 .WG}} + lid;
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
// Softmax attention over L = {{.L}} tokens, {{.Heads}} heads x {{.HeadDim}}, for GPUs: one
// workgroup handles {{.TQ}} queries of one (image, head) (workgroup index: query block
// fastest, then head, then image), one output vec4 per invocation (query lid / D4,
// vec4 lid % D4). It stages the scaled queries once, then per chunk of {{.KB}} keys the
// keys and values, computes the {{.TQ}}x{{.KB}} scores cooperatively into workgroup
// memory, and each invocation updates its query's online softmax (max m, sum l,
// output o rescaled by exp(m_old - m_new)) from the chunk's scores and values.
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
var<workgroup> ks: array<vec4<f32>, {{mul .KB .D4}}>;
var<workgroup> vs: array<vec4<f32>, {{mul .KB .D4}}>;
var<workgroup> sc: array<f32, {{mul .TQ .KB}}>;
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
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
  var m = -1e30;
  var l = 0.0;
  var o = vec4<f32>(0.0);
  for (var c0 = 0u; c0 < L; c0 = c0 + KB) {
    for (var i = lid; i < KB * D4; i = i + WG) {
      let a = (tok0 + min(c0 + i / D4, L - 1u)) * CI4 + koff + i % D4;
      ks[i] = X[a];
      vs[i] = X[a + D4];
    }
    workgroupBarrier();
    for (var e = lid; e < TQ * KB; e = e + WG) {
      let qb = (e / KB) * D4;
      let kb = (e % KB) * D4;
      let s = {{range $d := seq .D4}}{{if $d}} + {{end}}dot(qs[qb + {{u32 $d}}], ks[kb + {{u32 $d}}]){{end}};
      sc[e] = select(-3e38, s, c0 + e % KB < L);
    }
    workgroupBarrier();
    let row = qi * KB;
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
    workgroupBarrier();
  }
  if (wgi < TILES && q0 + qi < L) {
    O[(tok0 + q0 + qi) * CO4 + head * D4 + d4] = o / l;
  }
}
{{end}}
