{{/*
GEMM core shared by gemm.wgsl (1×1 conv and Linear), conv.wgsl
(implicit-GEMM k×k conv), convt.wgsl and winograd_gemm.wgsl (in
winograd.wgsl): constants, tile indexing, the unrolled k step, and the
fused epilogue. The bindings
(A, B, Bias, R, C) are declared by .Decls. Template data: kernels.gemmCore.
*/}}
{{/* The sizes and the tiling of the core. */}}
{{define "gemm_consts"}}
{{- if gt .NOut 0}}
const NOUT = {{u32 .NOut}};
{{- end}}
const M = {{u32 .M}};
const N4 = {{u32 .N4}};
const TM = {{u32 .TM}};
const TN4 = {{u32 .TN4}};
const NCB = {{u32 .NCB}};
const TOTAL = {{u32 .Total}};
const GXI = {{u32 .GXI}};
{{- end}}

{{/* Invocation → (row0, col0); r<i> are the (clamped) rows, n<j> the
(clamped) vec4 columns; acc<i>_<j> the accumulators. */}}
{{define "gemm_index"}}
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
  if (idx < TOTAL) {
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

{{define "gemm.wgsl"}}
// 1×1 convolution as a register-blocked GEMM: C[M×4·N4] = A[M×4·K4]·B
// + bias, act, (+ residual). Every invocation computes TM rows × TN4 vec4
// columns. No workgroup memory.
{{- template "common"}}
{{.Decls}}
{{- template "gemm_consts" .}}
const K4 = {{u32 .K4}};
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
{{end}}
