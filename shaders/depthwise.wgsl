{{define "depthwise.wgsl"}}
{{- if .Halo}}{{template "depthwise_halo" .}}{{else}}
{{- template "common"}}
// Depthwise {{.K}}x{{.K}} convolution, stride {{.Stride}}, padding {{.Pad}}, NHWC,
// vec4 over channels: one invocation computes a block of {{.TY}} output rows x
// {{.TX}} output columns for 4 channels (index: c4 fastest, then column block,
// then row block, then image), loading each of the {{.Cols}} input columns of
// each of the {{.Rows}} input rows once. Y = act(conv(X) + Bias){{if .Residual}} + R{{end}}.
// With one output row (RowLoop) the kernel rows are a loop, not unrolled:
// lavapipe's JIT time grows with every unrolled load. A generic kernel
// reads the loop's bound (KROWS = {{.K}}) from Params, so that the JIT
// cannot unroll it either (half its compile time on lavapipe).
// The sizes (H, W, C4, HO, WO, XB, YB, TOTAL, GX) are .Dims{{if .Generic}}, read
// from Params (generic: see kernels.renderDims){{end}}.
{{.Decls}}
{{- .Dims}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
{{- .LoadDims}}
  let g = (wid.y * GX + wid.x) * {{u32 .WG}} + lid;
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
  for (var ky = 0; ky < {{if .Generic}}KROWS{{else}}{{i32 .K}}{{end}}; ky = ky + 1) {
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
{{end}}

{{define "depthwise_halo"}}
{{- template "common"}}
// Depthwise {{.K}}x{{.K}} convolution, stride {{.Stride}}, padding {{.Pad}}, NHWC, vec4 over
// channels, for GPUs: one workgroup computes an output tile of {{.TY}}x{{.TX}} pixels x
// {{.CG}} vec4 channel groups (workgroup index: channel block fastest, then tile
// column, tile row, image), one output vec4 per invocation. The workgroup first
// stages the tile's {{.Rows}}x{{.Cols}}-pixel input halo (zero outside the image) in
// workgroup memory, then each invocation reads its window from there.
// Y = act(conv(X) + Bias){{if .Residual}} + R{{end}}.
{{.Decls}}
const H = {{i32 .H}};
const W = {{i32 .W}};
const C4 = {{u32 (div .C 4)}};
const HO = {{u32 .HO}};
const WO = {{u32 .WO}};
const XB = {{u32 .XB}};
const YB = {{u32 .YB}};
const GB = {{u32 .GB}};
const CG = {{u32 .CG}};
const HC = {{u32 .Cols}};
const HALO = {{u32 (mul (mul .Rows .Cols) .CG)}};
const TILES = {{u32 .Tiles}};
var<workgroup> tile: array<vec4<f32>, {{mul (mul .Rows .Cols) .CG}}>;
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tl = wid.y * {{u32 .GX}} + wid.x;
  let t = min(tl, TILES - 1u);
  let c0 = (t % GB) * CG;
  let r = t / GB;
  let ox0 = (r % XB) * {{u32 .TX}};
  let oy0 = (r / XB) % YB * {{u32 .TY}};
  let n = r / XB / YB;
  let ix0 = i32(ox0) * {{i32 .Stride}} - {{i32 .Pad}};
  let iy0 = i32(oy0) * {{i32 .Stride}} - {{i32 .Pad}};
  for (var i = lid; i < HALO; i = i + {{u32 .WG}}) {
    let p = i / CG;
    let iy = iy0 + i32(p / HC);
    let ix = ix0 + i32(p % HC);
    let c4 = min(c0 + i % CG, C4 - 1u);
    let inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
    let a = ((n * u32(H) + u32(clamp(iy, 0, H - 1))) * u32(W) + u32(clamp(ix, 0, W - 1))) * C4 + c4;
    tile[i] = select(vec4<f32>(0.0), X[a], inside);
  }
  workgroupBarrier();
  let cg = lid % CG;
  let tx = (lid / CG) % {{u32 .TX}};
  let ty = lid / CG / {{u32 .TX}};
  let c4 = min(c0 + cg, C4 - 1u);
  var acc = Bias[c4];
  for (var ky = 0u; ky < {{u32 .K}}; ky = ky + 1u) {
    let hb = ((ty * {{u32 .Stride}} + ky) * HC + tx * {{u32 .Stride}}) * CG + cg;
    let wb = ky * {{u32 .K}} * C4 + c4;
{{- range $kx := seq .K}}
    acc = fma(tile[hb + {{u32 (mul $kx $.CG)}}], Wt[wb + {{u32 $kx}} * C4], acc);
{{- end}}
  }
  let oy = oy0 + ty;
  let ox = ox0 + tx;
  if (tl < TILES && oy < HO && ox < WO && c0 + cg < C4) {
    let o = ((n * HO + oy) * WO + ox) * C4 + c4;
    Y[o] = {{if .ActFn}}{{.ActFn}}(acc){{else}}acc{{end}}{{if .Residual}} + R[o]{{end}};
  }
}
{{end}}
