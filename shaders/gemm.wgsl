{{/*
GEMM core shared by gemm.wgsl (1×1 conv and Linear), conv.wgsl
(implicit-GEMM k×k conv), convt.wgsl and winograd_gemm.wgsl (in
winograd.wgsl): constants, tile indexing, the unrolled k step, and the
fused epilogue. The bindings
(A, B, Bias, R, C) are declared by .Decls. Template data: kernels.gemmCore.
*/}}
{{/* The sizes (.Dims: constants, or in a generic kernel variables read from
Params; see kernels.renderDims) and the tiling of the core. */}}
{{define "gemm_consts"}}
{{- .Dims}}
const TM = {{u32 .TM}};
const TN4 = {{u32 .TN4}};
{{- end}}

{{/* Invocation → (row0, col0); r<i> are the (clamped) rows, n<j> the
(clamped) vec4 columns; acc<i>_<j> the accumulators. */}}
{{define "gemm_index"}}
{{- .LoadDims}}
  let idx = gid.y * GXI + gid.x;
  let cidx = min(idx, TOTAL - 1u);
  let row0 = (cidx / NCB) * TM;
  let col0 = (cidx % NCB) * TN4;
{{- range $j := seq .TN4}}
  let n{{$j}} = {{if $.RaggedCols}}min(col0 + {{$j}}u, N4 - 1u){{else}}col0 + {{$j}}u{{end}};
{{- end}}
{{- range $i := seq .TM}}
  let r{{$i}} = {{if $.RaggedRows}}min(row0 + {{$i}}u, M - 1u){{else}}row0 + {{$i}}u{{end}};
{{- end}}
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  var acc{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
{{- end}}

{{/* One vec4 step along K: a<i> hold A[row i][k0 .. k0+3], k0 the B row. */}}
{{define "gemm_kstep"}}
{{- range $s := seq 4}}
    {
{{- if not $.Tex}}
      let kb = (k0 + {{$s}}u) * N4;
{{- end}}
{{- range $j := seq $.TN4}}
{{- if $.Tex}}
      let b{{$j}} = textureLoad(B, vec2<u32>(n{{$j}}, k0 + {{$s}}u), 0);
{{- else}}
      let b{{$j}} = B[kb + n{{$j}}];
{{- end}}
{{- end}}
{{- range $i := seq $.TM}}
      let a{{$i}}s = vec4<f32>(a{{$i}}.{{slice "xyzw" $s (add $s 1)}});
{{- range $j := seq $.TN4}}
      acc{{$i}}_{{$j}} = fma(a{{$i}}s, b{{$j}}, acc{{$i}}_{{$j}});
{{- end}}
{{- end}}
    }
{{- end}}
{{- end}}

{{/* The K loop of the gemm and winograd_gemm kernels over kk = 0 .. K4-1,
opened by gemm_kloop_open and closed by gemm_kloop_close. With .KB4 > 0
(kernels.kBlockVec4) it is blocked summation: each block of KB4 vec4 steps
is summed in the accumulators from zero, then added to the running totals
tot<i>_<j>, which become the accumulators after the loop; one long chain
of K fused multiply-adds grows the rounding error with K, blocks with
4·KB4 + K/(4·KB4). */}}
{{define "gemm_kloop_open"}}
{{- if .KB4}}
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  var tot{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
  for (var kb = 0u; kb < K4; kb = kb + {{u32 .KB4}}) {
  let kend = min(kb + {{u32 .KB4}}, K4);
  for (var kk = kb; kk < kend; kk = kk + 1u) {
{{- else}}
  for (var kk = 0u; kk < K4; kk = kk + 1u) {
{{- end}}
{{- end}}

{{define "gemm_kloop_close"}}
  }
{{- if .KB4}}
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  tot{{$i}}_{{$j}} = tot{{$i}}_{{$j}} + acc{{$i}}_{{$j}};
  acc{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
  }
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  acc{{$i}}_{{$j}} = tot{{$i}}_{{$j}};
{{- end}}
{{- end}}
{{- end}}
{{- end}}

{{/* Epilogue: C = act(acc + bias) + residual, masked to the real rows/columns.
With Batched, C = acc at row ZROW + row (ZROW in scope), no bias. */}}
{{define "gemm_epilogue"}}
  if ({{if .Coop}}kg == 0u{{else}}idx < TOTAL{{end}}) {
{{- if not .Batched}}
{{- range $j := seq .TN4}}
    let bias{{$j}} = Bias[n{{$j}}];
{{- end}}
{{- end}}
{{- range $i := seq .TM}}
    {{if $.RaggedRows}}if (row0 + {{$i}}u < M) {{end}}{
      let row = {{if $.Batched}}ZROW + {{end}}row0 + {{$i}}u;
{{- range $j := seq $.TN4}}
      {{if $.RaggedCols}}if (col0 + {{$j}}u < N4) {{end}}{
{{- if $.Batched}}
        let v = acc{{$i}}_{{$j}};
{{- else}}
        var v = acc{{$i}}_{{$j}} + bias{{$j}};
{{- end}}
{{- if $.ActFn}}
        v = {{$.ActFn}}(v);
{{- end}}
{{- if $.Residual}}
        v = v + R[row * N4 + n{{$j}}];
{{- end}}
{{- if gt $.NOut 0}}
        let c = n{{$j}} * 4u;
        for (var e = 0u; e < 4u; e = e + 1u) {
          if (c + e < NOUT) { C[row * NOUT + c + e] = v[e]; }
        }
{{- else}}
        C[row * N4 + n{{$j}}] = v;
{{- end}}
      }
{{- end}}
    }
{{- end}}
  }
{{- end}}

{{/* The cooperative core of the GPU kernel set (data: kernels.gemmCore
with Coop): a workgroup of WM×WN×KS invocations computes a BM×BN4 block;
per step all of them stage A [BM][KT4] and B [4·KT4][BN4] in workgroup
memory, then group kg of WM×WN invocations multiplies K slice kg (KC4
vec4s) with TM×TN4 accumulators each. With KS > 1 groups 1..KS-1 leave
their sums in Red and group 0 adds them. The caller declares
fn loadA(r: u32, k4: u32) -> vec4<f32> (row r of A, r < M, or of the
plane's rows when Batched; vec4 k4 < KV4 along K) and the constants of
gemm_consts. B is read here: row k of the (plane's) B, vec4 column n4. */}}
{{define "gemm_coop"}}
const KV4 = {{u32 .KV4}};
const WM = {{u32 .WM}};
const WN = {{u32 .WN}};
const WMN = {{u32 (mul .WM .WN)}};
const KC4 = {{u32 .KC4}};
const KT4 = {{u32 .KT4}};
const BM = {{u32 .BM}};
const BN4 = {{u32 .BN4}};
const NCBW = {{u32 .NCBW}};
const TOTALWG = {{u32 .TotalWG}};
const GX = {{u32 .GX}};
const WGS = {{u32 .WG}};
var<workgroup> As: array<vec4<f32>, {{mul .BM .KT4}}>;
var<workgroup> Bs: array<vec4<f32>, {{mul (mul 4 .KT4) .BN4}}>;
{{- if gt .KS 1}}
var<workgroup> Red: array<vec4<f32>, {{mul (mul (sub .KS 1) (mul .WM .WN)) (mul .TM .TN4)}}>;
{{- end}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wg = wid.y * GX + wid.x;
  if (wg >= TOTALWG) {
    return;
  }
{{- if .Batched}}
  let ZROW = wid.z * M;
  let KZ = wid.z * KV4 * 4u;
{{- end}}
  let brow = (wg / NCBW) * BM;
  let bcol = (wg % NCBW) * BN4;
  let kg = lid / WMN;
  let tr = (lid % WMN) / WN;
  let tc = (lid % WMN) % WN;
  let row0 = brow + tr * TM;
  let col0 = bcol + tc * TN4;
{{- range $j := seq .TN4}}
  let n{{$j}} = {{if $.RaggedCols}}min(col0 + {{$j}}u, N4 - 1u){{else}}col0 + {{$j}}u{{end}};
{{- end}}
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  var acc{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
{{- if .KBS}}
  // Blocked summation (see gemm_kloop_open): every KBS steps the sums go
  // into the totals (a uniform branch).
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  var tot{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
{{- end}}
  for (var kb = 0u; kb < KV4; kb = kb + KT4) {
    for (var e = lid; e < BM * KT4; e = e + WGS) {
      let q = kb + e % KT4;
      var v = vec4<f32>(0.0);
      if (q < KV4) {
        v = loadA({{if .Batched}}ZROW + {{end}}min(brow + e / KT4, M - 1u), q);
      }
      As[e] = v;
    }
    for (var e = lid; e < 4u * KT4 * BN4; e = e + WGS) {
      let k = kb * 4u + e / BN4;
      let c = min(bcol + e % BN4, N4 - 1u);
      var v = vec4<f32>(0.0);
      if (k < KV4 * 4u) {
{{- if .Tex}}
        v = textureLoad(B, vec2<u32>(c, {{if .Batched}}KZ + {{end}}k), 0);
{{- else}}
        v = B[({{if .Batched}}KZ + {{end}}k) * N4 + c];
{{- end}}
      }
      Bs[e] = v;
    }
    workgroupBarrier();
    for (var q = kg * KC4; q < kg * KC4 + KC4; q = q + 1u) {
{{- range $i := seq .TM}}
      let a{{$i}} = As[(tr * TM + {{$i}}u) * KT4 + q];
{{- end}}
{{- range $s := seq 4}}
      {
        let kr = (q * 4u + {{$s}}u) * BN4 + tc * TN4;
{{- range $j := seq $.TN4}}
        let b{{$j}} = Bs[kr + {{$j}}u];
{{- end}}
{{- range $i := seq $.TM}}
        let a{{$i}}s = vec4<f32>(a{{$i}}.{{slice "xyzw" $s (add $s 1)}});
{{- range $j := seq $.TN4}}
        acc{{$i}}_{{$j}} = fma(a{{$i}}s, b{{$j}}, acc{{$i}}_{{$j}});
{{- end}}
{{- end}}
      }
{{- end}}
    }
    workgroupBarrier();
{{- if .KBS}}
    if ((kb / KT4) % {{u32 .KBS}} == {{u32 (sub .KBS 1)}}) {
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
      tot{{$i}}_{{$j}} = tot{{$i}}_{{$j}} + acc{{$i}}_{{$j}};
      acc{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
    }
{{- end}}
  }
{{- if .KBS}}
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  acc{{$i}}_{{$j}} = tot{{$i}}_{{$j}} + acc{{$i}}_{{$j}};
{{- end}}
{{- end}}
{{- end}}
{{- if gt .KS 1}}
  let rbase = (lid % WMN) * (TM * TN4);
  if (kg > 0u) {
    let rb = (kg - 1u) * WMN * TM * TN4 + rbase;
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
    Red[rb + {{add (mul $i $.TN4) $j}}u] = acc{{$i}}_{{$j}};
{{- end}}
{{- end}}
  }
  workgroupBarrier();
  if (kg == 0u) {
    for (var g = 1u; g < {{u32 .KS}}; g = g + 1u) {
      let rb = (g - 1u) * WMN * TM * TN4 + rbase;
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
      acc{{$i}}_{{$j}} = acc{{$i}}_{{$j}} + Red[rb + {{add (mul $i $.TN4) $j}}u];
{{- end}}
{{- end}}
    }
  }
{{- end}}
{{- template "gemm_epilogue" .}}
}
{{- end}}

{{define "gemm.wgsl"}}
// 1×1 convolution as a register-blocked GEMM: C[M×4·N4] = A[M×4·K4]·B
// + bias, act, (+ residual). Every invocation computes TM rows × TN4 vec4
// columns. No workgroup memory.
{{- template "common"}}
{{.Decls}}
{{- template "gemm_consts" .}}
{{- if not .Generic}}
const K4 = {{u32 .K4}};
{{- end}}
{{- if .Coop}}
// Workgroup-cooperative tiles (GPU set): see gemm_coop.
fn loadA(r: u32, k4: u32) -> vec4<f32> {
  return A[r * K4 + k4];
}
{{- template "gemm_coop" .}}
{{- else}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
{{- template "gemm_index" .}}
{{- range $i := seq .TM}}
  let abase{{$i}} = r{{$i}} * K4;
{{- end}}
{{- template "gemm_kloop_open" .}}
{{- range $i := seq .TM}}
    let a{{$i}} = A[abase{{$i}} + kk];
{{- end}}
    let k0 = kk * 4u;
{{- template "gemm_kstep" .}}
{{- template "gemm_kloop_close" .}}
{{- template "gemm_epilogue" .}}
}
{{- end}}
{{end}}
