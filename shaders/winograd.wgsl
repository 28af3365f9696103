{{/*
Winograd F(m×m, 3×3), m = 2 or 4, for stride-1 3×3 convolutions with
padding 1, NHWC: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per m×m output tile, as three
kernels: the input transform (α×α input patch → α² values, α = m + 2), α²
independent GEMMs over the channels (the shared core of gemm.wgsl) and the
output transform with the fused epilogue. The transforms' arithmetic comes
rendered from the matrices (kernels.winogradXformData Rows and Cols).
Template data: kernels.winogradXformData and kernels.pointwiseData.
*/}}
{{define "winograd_in.wgsl"}}
// Winograd F({{.M}}×{{.M}},3×3) input transform: V[ξ][tile][c] = (Bᵀ d B)[ξ] of the
// {{.Alpha}}×{{.Alpha}} patch d at ({{.M}}·ty − 1, {{.M}}·tx − 1), zero outside the image. One
// invocation handles one tile and 4 channels.
{{.Decls}}
{{- template "winograd_consts" .}}
{{- template "winograd_tile" .}}
  let py = i32(tt / TW) * {{.M}} - 1;
  let px = i32(tt % TW) * {{.M}} - 1;
  let base = img * u32(H * W);
{{- range $i := seq .Alpha}}
  let y{{$i}} = py + {{$i}};
  let oky{{$i}} = y{{$i}} >= 0 && y{{$i}} < H;
  let row{{$i}} = base + u32(clamp(y{{$i}}, 0, H - 1) * W);
{{- end}}
{{- range $j := seq .Alpha}}
  let x{{$j}} = px + {{$j}};
  let okx{{$j}} = x{{$j}} >= 0 && x{{$j}} < W;
  let col{{$j}} = u32(clamp(x{{$j}}, 0, W - 1));
{{- end}}
{{- range $i := seq .Alpha}}
{{- range $j := seq $.Alpha}}
  let d{{$i}}_{{$j}} = select(vec4<f32>(0.0), X[(row{{$i}} + col{{$j}}) * C4 + c4], oky{{$i}} && okx{{$j}});
{{- end}}
{{- end}}
  // e = Bᵀ d
{{- range .Rows}}
  {{.}}
{{- end}}
  // V = e B, plane by plane
  let o = t * C4 + c4;
{{- range $x, $v := .Cols}}
  V[{{$x}}u * PLANE + o] = {{$v}};
{{- end}}
}
{{end}}

{{/* The entry point of both transforms: one invocation per (tile, 4
channels); c4 the channel block, t the tile, img its image and tt its
index in the image (TW tiles a row). The body follows. */}}
{{define "winograd_tile"}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.y * GXI + gid.x;
  if (idx >= TOTAL) {
    return;
  }
  let c4 = idx % C4;
  let t = idx / C4;
  let img = t / TPI;
  let tt = t % TPI;
{{- end}}

{{define "winograd_consts"}}
const H = {{i32 .H}};
const W = {{i32 .W}};
const TW = {{u32 .TW}};
const TPI = {{u32 .TPI}};
const C4 = {{u32 .C4}};
const PLANE = {{u32 .Plane}};
const TOTAL = {{u32 .Total}};
const GXI = {{u32 .GXI}};
{{- end}}

{{define "winograd_gemm.wgsl"}}
// Winograd products: one GEMM per gid.z = ξ
// C[ξ][M×4·N4] = A[ξ][M×4·K4]·B[ξ], B[ξ] being rows ξ·4·K4 .. of the
// stacked transformed weights. Every invocation computes TM rows × TN4
// vec4 columns. No workgroup memory.
{{.Decls}}
{{- template "gemm_consts" .}}
const K4 = {{u32 .K4}};
{{- if .Coop}}
// Workgroup-cooperative tiles (GPU set, see gemm_coop); r counts the rows
// of all planes.
fn loadA(r: u32, k4: u32) -> vec4<f32> {
  return A[r * K4 + k4];
}
{{- template "gemm_coop" .}}
{{- else}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
{{- template "gemm_index" .}}
  let ZROW = gid.z * M;
  let kz = gid.z * K4 * 4u;
{{- range $i := seq .TM}}
  let abase{{$i}} = (ZROW + r{{$i}}) * K4;
{{- end}}
{{- template "gemm_kloop_open" .}}
{{- range $i := seq .TM}}
    let a{{$i}} = A[abase{{$i}} + kk];
{{- end}}
    let k0 = kz + kk * 4u;
{{- template "gemm_kstep" .}}
{{- template "gemm_kloop_close" .}}
{{- template "gemm_epilogue" .}}
}
{{- end}}
{{end}}

{{define "winograd_out.wgsl"}}
// Winograd F({{.M}}×{{.M}},3×3) output transform with the fused epilogue:
// Y = act(Aᵀ m A + bias) + residual for the {{.M}}×{{.M}} outputs of one tile and 4
// channels, m[ξ] = M[ξ][tile][c]; outputs past the image edge are dropped.
{{- template "common"}}
{{.Decls}}
{{- template "winograd_consts" .}}
{{- template "winograd_tile" .}}
  let oy = (tt / TW) * {{.M}}u;
  let ox = (tt % TW) * {{.M}}u;
  let i = t * C4 + c4;
{{- range $x := seq (mul .Alpha .Alpha)}}
  let m{{$x}} = Mt[{{$x}}u * PLANE + i];
{{- end}}
  // s = Aᵀ m
{{- range .Rows}}
  {{.}}
{{- end}}
  let bias = Bias[c4];
{{- range $x, $v := .Cols}}
{{- $r := div $x $.M}}{{$c := mod $x $.M}}
  if (oy + {{$r}}u < u32(H) && ox + {{$c}}u < u32(W)) {
    let p = ((img * u32(H) + oy + {{$r}}u) * u32(W) + ox + {{$c}}u) * C4 + c4;
    var v = {{$v}} + bias;
{{- if $.ActFn}}
    v = {{$.ActFn}}(v);
{{- end}}
    Y[p] = v{{if $.Residual}} + R[p]{{end}};
  }
{{- end}}
}
{{end}}
