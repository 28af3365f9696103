{{define "depthwise.wgsl"}}
{{- template "common"}}
// Depthwise {{.K}}x{{.K}} convolution, stride {{.Stride}}, padding {{.Pad}}, NHWC,
// vec4 over channels: one invocation computes a block of {{.TY}} output rows x
// {{.TX}} output columns for 4 channels (index: c4 fastest, then column block,
// then row block, then image), loading each of the {{.Cols}} input columns of
// each of the {{.Rows}} input rows once. Y = act(conv(X) + Bias){{if .Residual}} + R{{end}}.
// With one output row (RowLoop) the kernel rows are a loop, not unrolled:
// lavapipe's JIT time grows with every unrolled load.
{{.Decls}}
const H = {{i32 .H}};
const W = {{i32 .W}};
const C4 = {{u32 (div .C 4)}};
const HO = {{u32 .HO}};
const WO = {{u32 .WO}};
const XB = {{u32 .XB}};
const YB = {{u32 .YB}};
const TOTAL = {{u32 .Total}};
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = (wid.y * {{u32 .GX}} + wid.x) * {{u32 .WG}} + lid;
  let idx = min(g, TOTAL - 1u);
  let c4 = idx % C4;
  let r = idx / C4;
  let ox0 = (r % XB) * {{u32 .TX}};
  let oy0 = (r / XB) % YB * {{u32 .TY}};
  let n = r / XB / YB;
  let ix0 = i32(ox0) * {{i32 .Stride}} - {{i32 .Pad}};
  let iy0 = i32(oy0) * {{i32 .Stride}} - {{i32 .Pad}};
{{- range $j := seq .Cols}}
  let ok{{$j}} = ix0 + {{i32 $j}} >= 0 && ix0 + {{i32 $j}} < W;
  let cx{{$j}} = u32(clamp(ix0 + {{i32 $j}}, 0, W - 1));
{{- end}}
{{- if .RowLoop}}
  var acc0_0 = Bias[c4];
{{- range $t := seq .TX}}{{if $t}}
  var acc0_{{$t}} = acc0_0;{{end}}
{{- end}}
  for (var ky = 0; ky < {{i32 .K}}; ky = ky + 1) {
    let iy = iy0 + ky;
    let rowok = iy >= 0 && iy < H;
    let rowbase = (n * u32(H) + u32(clamp(iy, 0, H - 1))) * u32(W);
    let wrow = u32(ky) * {{u32 .K}} * C4 + c4;
{{- range $j := seq .Cols}}
    let v{{$j}} = select(vec4<f32>(0.0), X[(rowbase + cx{{$j}}) * C4 + c4], rowok && ok{{$j}});
{{- end}}
{{- range $kx := seq .K}}
    let w{{$kx}} = Wt[wrow + {{u32 $kx}} * C4];
{{- range $t := seq $.TX}}
    acc0_{{$t}} = fma(v{{add (mul $t $.Stride) $kx}}, w{{$kx}}, acc0_{{$t}});
{{- end}}
{{- end}}
  }
{{- else}}
{{- range $ky := seq .K}}
{{- range $kx := seq $.K}}
  let w{{$ky}}_{{$kx}} = Wt[{{u32 (add (mul $ky $.K) $kx)}} * C4 + c4];
{{- end}}
{{- end}}
  let b = Bias[c4];
{{- range $ty := seq .TY}}
{{- range $t := seq $.TX}}
  var acc{{$ty}}_{{$t}} = b;
{{- end}}
{{- end}}
{{- range $r := seq .Rows}}
  {
    let iy = iy0 + {{i32 $r}};
    let rowok = iy >= 0 && iy < H;
    let rowbase = (n * u32(H) + u32(clamp(iy, 0, H - 1))) * u32(W);
{{- range $j := seq $.Cols}}
    let v{{$j}} = select(vec4<f32>(0.0), X[(rowbase + cx{{$j}}) * C4 + c4], rowok && ok{{$j}});
{{- end}}
{{- range $ty := seq $.TY}}
{{- $ky := sub $r (mul $ty $.Stride)}}
{{- if and (ge $ky 0) (lt $ky $.K)}}
{{- range $kx := seq $.K}}
{{- range $t := seq $.TX}}
    acc{{$ty}}_{{$t}} = fma(v{{add (mul $t $.Stride) $kx}}, w{{$ky}}_{{$kx}}, acc{{$ty}}_{{$t}});
{{- end}}
{{- end}}
{{- end}}
{{- end}}
  }
{{- end}}
{{- end}}
  if (g < TOTAL) {
{{- range $ty := seq .TY}}
    if (oy0 + {{u32 $ty}} < HO) {
      let o = ((n * HO + oy0 + {{u32 $ty}}) * WO + ox0) * C4 + c4;
{{- range $t := seq $.TX}}
      if (ox0 + {{u32 $t}} < WO) {
        Y[o + {{u32 $t}} * C4] = {{if $.ActFn}}{{$.ActFn}}(acc{{$ty}}_{{$t}}){{else}}acc{{$ty}}_{{$t}}{{end}}{{if $.Residual}} + R[o + {{u32 $t}} * C4]{{end}};
      }
{{- end}}
    }
{{- end}}
  }
}
{{end}}
