{{define "depthwise.wgsl"}}
{{- template "common"}}
// Depthwise {{.K}}x{{.K}} convolution, stride {{.Stride}}, padding {{.Pad}}, NHWC,
// vec4 over channels: one invocation computes {{.TX}} consecutive output
// columns of one output row for 4 channels (index: c4 fastest, then column
// block, then row n*HO+oy), loading each of the {{.Cols}} input columns of a
// kernel row once. Y = act(conv(X) + Bias){{if .Residual}} + R{{end}}.
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> Wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> Bias: array<vec4<f32>>;
{{- if .Residual}}
@group(0) @binding(3) var<storage, read> R: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<vec4<f32>>;
{{- else}}
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;
{{- end}}
const H = {{i32 .H}};
const W = {{i32 .W}};
const K = {{i32 .K}};
const C4 = {{u32 (div .C 4)}};
const HO = {{u32 .HO}};
const WO = {{u32 .WO}};
const XB = {{u32 .XB}};
const TOTAL = {{u32 .Total}};
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = (wid.y * {{u32 .GX}} + wid.x) * {{u32 .WG}} + lid;
  let idx = min(g, TOTAL - 1u);
  let c4 = idx % C4;
  let r = idx / C4;
  let ox0 = (r % XB) * {{u32 .TX}};
  let row = r / XB;
  let oy = row % HO;
  let n = row / HO;
  let ix0 = i32(ox0) * {{i32 .Stride}} - {{i32 .Pad}};
{{- range $j := seq .Cols}}
  let ok{{$j}} = ix0 + {{i32 $j}} >= 0 && ix0 + {{i32 $j}} < W;
  let cx{{$j}} = u32(clamp(ix0 + {{i32 $j}}, 0, W - 1));
{{- end}}
  let b = Bias[c4];
{{- range $t := seq .TX}}
  var acc{{$t}} = b;
{{- end}}
  let iy0 = i32(oy) * {{i32 .Stride}} - {{i32 .Pad}};
  for (var ky = 0; ky < K; ky = ky + 1) {
    let iy = iy0 + ky;
    let rowok = iy >= 0 && iy < H;
    let rowbase = (n * u32(H) + u32(clamp(iy, 0, H - 1))) * u32(W);
{{- range $j := seq .Cols}}
    let v{{$j}} = select(vec4<f32>(0.0), X[(rowbase + cx{{$j}}) * C4 + c4], rowok && ok{{$j}});
{{- end}}
    let wb = u32(ky * K) * C4 + c4;
{{- range $kx := seq .K}}
    let w{{$kx}} = Wt[wb + {{u32 $kx}} * C4];
{{- range $t := seq $.TX}}
    acc{{$t}} = fma(v{{add (mul $t $.Stride) $kx}}, w{{$kx}}, acc{{$t}});
{{- end}}
{{- end}}
  }
  if (g < TOTAL) {
    let o = ((n * HO + oy) * WO + ox0) * C4 + c4;
{{- range $t := seq .TX}}
    if (ox0 + {{u32 $t}} < WO) {
      Y[o + {{u32 $t}} * C4] = {{if $.Act}}{{template "act4" $.Act}}(acc{{$t}}){{else}}acc{{$t}}{{end}}{{if $.Residual}} + R[o + {{u32 $t}} * C4]{{end}};
    }
{{- end}}
  }
}
{{end}}
