{{/*
Winograd F(2×2, 3×3) for stride-1 3×3 convolutions with padding 1, NHWC:
Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per 2×2 output tile, as three kernels:
the input transform (4×4 input patch → 16 values), 16 independent GEMMs
over the channels (the shared core of gemm.wgsl) and the output transform
with the fused epilogue. Template data: kernels.winogradXformData and
kernels.winogradGemmData.
*/}}
{{define "winograd_in.wgsl"}}
// Winograd F(2×2,3×3) input transform: V[ξ][tile][c] = (Bᵀ d B)[ξ] of the
// 4×4 patch d at (2·ty − 1, 2·tx − 1), zero outside the image. One
// invocation handles one tile and 4 channels.
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> V: array<vec4<f32>>;
{{- template "winograd_consts" .}}
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
  let py = i32(tt / TW) * 2 - 1;
  let px = i32(tt % TW) * 2 - 1;
  let base = img * u32(H * W);
{{- range $i := seq 4}}
  let y{{$i}} = py + {{$i}};
  let oky{{$i}} = y{{$i}} >= 0 && y{{$i}} < H;
  let row{{$i}} = base + u32(clamp(y{{$i}}, 0, H - 1) * W);
{{- end}}
{{- range $j := seq 4}}
  let x{{$j}} = px + {{$j}};
  let okx{{$j}} = x{{$j}} >= 0 && x{{$j}} < W;
  let col{{$j}} = u32(clamp(x{{$j}}, 0, W - 1));
{{- end}}
{{- range $i := seq 4}}
{{- range $j := seq 4}}
  let d{{$i}}{{$j}} = select(vec4<f32>(0.0), X[(row{{$i}} + col{{$j}}) * C4 + c4], oky{{$i}} && okx{{$j}});
{{- end}}
{{- end}}
  // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
{{- range $j := seq 4}}
  let e0{{$j}} = d0{{$j}} - d2{{$j}};
  let e1{{$j}} = d1{{$j}} + d2{{$j}};
  let e2{{$j}} = d2{{$j}} - d1{{$j}};
  let e3{{$j}} = d1{{$j}} - d3{{$j}};
{{- end}}
  // (Bᵀ d) B: the same combinations of the columns.
  let o = t * C4 + c4;
{{- range $i := seq 4}}
  V[{{mul $i 4}}u * PLANE + o] = e{{$i}}0 - e{{$i}}2;
  V[{{add (mul $i 4) 1}}u * PLANE + o] = e{{$i}}1 + e{{$i}}2;
  V[{{add (mul $i 4) 2}}u * PLANE + o] = e{{$i}}2 - e{{$i}}1;
  V[{{add (mul $i 4) 3}}u * PLANE + o] = e{{$i}}1 - e{{$i}}3;
{{- end}}
}
{{end}}

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
// Winograd F(2×2,3×3) products: 16 independent GEMMs (gid.z = ξ)
// C[ξ][M×4·N4] = A[ξ][M×4·K4]·B[ξ], B[ξ] being rows ξ·4·K4 .. of the
// stacked transformed weights. Every invocation computes TM rows × TN4
// vec4 columns. No workgroup memory.
@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
{{- template "gemm_bdecl" .}}
@group(0) @binding(2) var<storage, read_write> C: array<vec4<f32>>;
{{- template "gemm_consts" .}}
const K4 = {{u32 .K4}};
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
{{- template "gemm_index" .}}
  let ZROW = gid.z * M;
  let kz = gid.z * K4 * 4u;
{{- range $i := seq .TM}}
  let abase{{$i}} = (ZROW + r{{$i}}) * K4;
{{- end}}
  for (var kk = 0u; kk < K4; kk = kk + 1u) {
{{- range $i := seq .TM}}
    let a{{$i}} = A[abase{{$i}} + kk];
{{- end}}
    let k0 = kz + kk * 4u;
{{- template "gemm_kstep" .}}
  }
{{- template "gemm_epilogue" .}}
}
{{end}}

{{define "winograd_out.wgsl"}}
// Winograd F(2×2,3×3) output transform with the fused epilogue:
// Y = act(Aᵀ m A + bias) + residual for the 2×2 outputs of one tile and 4
// channels, m[ξ] = M[ξ][tile][c]; outputs past the image edge are dropped.
{{- template "common"}}
@group(0) @binding(0) var<storage, read> Mt: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> Bias: array<vec4<f32>>;
{{- if .Residual}}
@group(0) @binding(2) var<storage, read> R: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;
{{- else}}
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;
{{- end}}
{{- template "winograd_consts" .}}
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
  let oy = (tt / TW) * 2u;
  let ox = (tt % TW) * 2u;
  let i = t * C4 + c4;
{{- range $x := seq 16}}
  let m{{$x}} = Mt[{{$x}}u * PLANE + i];
{{- end}}
  // Aᵀ m: rows m0 + m1 + m2 and m1 − m2 − m3 (of the 4×4 m).
{{- range $j := seq 4}}
  let s0{{$j}} = m{{$j}} + m{{add 4 $j}} + m{{add 8 $j}};
  let s1{{$j}} = m{{add 4 $j}} - m{{add 8 $j}} - m{{add 12 $j}};
{{- end}}
  let bias = Bias[c4];
{{- range $r := seq 2}}
  {
    let y = oy + {{$r}}u;
    var v0 = s{{$r}}0 + s{{$r}}1 + s{{$r}}2 + bias;
    var v1 = s{{$r}}1 - s{{$r}}2 - s{{$r}}3 + bias;
{{- if $.Act}}
    v0 = {{template "act4" $.Act}}(v0);
    v1 = {{template "act4" $.Act}}(v1);
{{- end}}
    let p = (img * u32(H) + y) * u32(W) + ox;
    if (y < u32(H)) {
{{- if $.Residual}}
      Y[p * C4 + c4] = v0 + R[p * C4 + c4];
      if (ox + 1u < u32(W)) {
        Y[(p + 1u) * C4 + c4] = v1 + R[(p + 1u) * C4 + c4];
      }
{{- else}}
      Y[p * C4 + c4] = v0;
      if (ox + 1u < u32(W)) {
        Y[(p + 1u) * C4 + c4] = v1;
      }
{{- end}}
    }
  }
{{- end}}
}
{{end}}
