{{/*
Dense K×K convolution as an implicit GEMM over the shared core of
gemm.wgsl. Template data: kernels.convData.
*/}}
{{/* Masks and input bases of the tap (ky, kx) for every tile row. */}}
{{define "conv_bases"}}
{{- range $i := seq .TM}}
    let y{{$i}} = iy{{$i}} + ky;
    let x{{$i}} = ix{{$i}} + kx;
    m{{$i}} = select(0.0, 1.0, y{{$i}} >= 0 && y{{$i}} < H && x{{$i}} >= 0 && x{{$i}} < W);
    base{{$i}} = (img{{$i}} + u32(clamp(y{{$i}}, 0, H - 1) * W + clamp(x{{$i}}, 0, W - 1))) * CI4;
{{- end}}
{{- end}}

{{/* Channel group c of the current tap (k0 in scope), masked. */}}
{{define "conv_step"}}
{{- range $i := seq .TM}}
      let a{{$i}} = A[base{{$i}} + c] * m{{$i}};
{{- end}}
{{- template "gemm_kstep" .}}
{{- end}}

{{define "conv.wgsl"}}
{{- if .Generic}}
// Dense KS×KS convolution, stride S, pad P, NHWC, as an implicit GEMM, generic:
// the sizes come from Params (see kernels.renderDims), the K loop is summed in
// blocks of KB4 vec4 steps. Row p = (image, oy, ox), K order (ky, kx, cin).
{{- else}}
// Dense {{.K}}×{{.K}} convolution, stride {{.Stride}}, pad {{.Pad}}, NHWC, as an implicit GEMM:
// row p = (image, oy, ox), K order (ky, kx, cin).
{{- end}}
// Every invocation computes TM rows × TN4 vec4 columns. No workgroup memory.
{{- template "common"}}
{{.Decls}}
{{- template "gemm_consts" .}}
{{- if .Coop}}
// Workgroup-cooperative tiles (GPU set, see gemm_coop): element (r, k4)
// of im2col(X), zero outside the image.
fn loadA(r: u32, k4: u32) -> vec4<f32> {
  let tap = k4 / CI4;
  let q = r % HWO;
  let y = i32(q / WO) * S - P + i32(tap / KS);
  let x = i32(q % WO) * S - P + i32(tap % KS);
  if (y < 0 || y >= H || x < 0 || x >= W) {
    return vec4<f32>(0.0);
  }
  return A[((r / HWO) * u32(H * W) + u32(y * W + x)) * CI4 + k4 % CI4];
}
{{- template "gemm_coop" .}}
{{- else}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
{{- template "gemm_index" .}}
{{- range $i := seq .TM}}
  let q{{$i}} = r{{$i}} % HWO;
  let img{{$i}} = (r{{$i}} / HWO) * u32(H * W);
  let iy{{$i}} = i32(q{{$i}} / WO) * S - P;
  let ix{{$i}} = i32(q{{$i}} % WO) * S - P;
{{- end}}
{{- range $i := seq .TM}}
  var m{{$i}} = 0.0;
  var base{{$i}} = 0u;
{{- end}}
{{- if .Generic}}
  // One loop over K/4 = taps × channel groups in blocks of KB4 steps; the
  // masks and bases change at each new tap.
{{- template "gemm_kloop_open" .}}
    let c = kk % CI4;
    if (c == 0u) {
      let kp = kk / CI4;
      let ky = i32(kp / KS);
      let kx = i32(kp % KS);
{{- template "conv_bases" .}}
    }
    let k0 = kk * 4u;
{{- template "conv_step" .}}
{{- template "gemm_kloop_close" .}}
{{- else if .TapBlocks}}
  // Blocked summation (see gemm_kloop_open): a loop over the taps, each
  // tap's channel groups summed from zero and then added to the totals.
  // (In one loop over K/4 with the flush under "if (c == 0u)", lavapipe
  // paid for the accumulators' selects at every step: +50 % time.)
{{- range $i := seq .TM}}
{{- range $j := seq $.TN4}}
  var tot{{$i}}_{{$j}} = vec4<f32>(0.0);
{{- end}}
{{- end}}
  for (var kp = 0u; kp < KS * KS; kp = kp + 1u) {
    let ky = i32(kp / KS);
    let kx = i32(kp % KS);
{{- template "conv_bases" .}}
    for (var c = 0u; c < CI4; c = c + {{if .Pairs}}2u{{else}}1u{{end}}) {
      let kk = kp * CI4 + c;
      {
        let k0 = kk * 4u;
{{- template "conv_step" .}}
      }
{{- if .Pairs}}
      {
        let c = c + 1u;
        let k0 = kk * 4u + 4u;
{{- template "conv_step" .}}
      }
{{- end}}
    }
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
{{- else}}
  // One loop over K/4 = taps × channel groups, so that the compiler does
  // not unroll the taps; the masks and bases change at each new tap.
{{- if .Pairs}}
  // Two channel groups per iteration (CI4 is even): ~7 % faster.
{{- end}}
  for (var kk = 0u; kk < KS * KS * CI4; kk = kk + {{if .Pairs}}2u{{else}}1u{{end}}) {
    let c = kk % CI4;
    if (c == 0u) {
      let kp = kk / CI4;
      let ky = i32(kp / KS);
      let kx = i32(kp % KS);
{{- template "conv_bases" .}}
    }
    {
      let k0 = kk * 4u;
{{- template "conv_step" .}}
    }
{{- if .Pairs}}
    {
      let c = c + 1u;
      let k0 = kk * 4u + 4u;
{{- template "conv_step" .}}
    }
{{- end}}
  }
{{- end}}
{{- template "gemm_epilogue" .}}
}
{{- end}}
{{end}}
