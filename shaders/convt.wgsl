{{define "convt.wgsl"}}
// ConvTranspose2d k4 s2 p1, NHWC, input HxW, output cropped to CROPHxCROPW
// (the sizes: .Dims{{if .Generic}}, read from Params{{end}}), as an implicit
// GEMM on the shared GEMM core. GEMM row
// r = (parity * PRB + row block) * TM + i; parity (py, px) = (r / (PRB*TM)) / 2, % 2.
// Output (2m+py, 2n+px) reads input (m-1+py+dy, n-1+px+dx) through tap
// (3-py-2dy, 3-px-2dx), dy, dx in {0,1}; B row = tap * Cin + cin.
{{- template "common"}}
{{.Decls}}
{{- template "gemm_consts" .}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
{{- template "gemm_index" .}}
  let par = row0 / PROWS;
  let py = i32(par / 2u);
  let px = i32(par % 2u);
{{- range $i := seq .TM}}
  let p{{$i}} = r{{$i}} - par * PROWS;
  let q{{$i}} = min(p{{$i}}, NHW - 1u);
  let m{{$i}} = i32((q{{$i}} / u32(W)) % u32(H));
  let x{{$i}} = i32(q{{$i}} % u32(W));
  let img{{$i}} = q{{$i}} / u32(H * W);
{{- end}}
  for (var tap = 0; tap < 4; tap = tap + 1) {
    let dy = tap / 2;
    let dx = tap % 2;
    let kbase = u32((3 - py - 2 * dy) * 4 + 3 - px - 2 * dx) * CI4 * 4u;
{{- range $i := seq .TM}}
    let iy{{$i}} = m{{$i}} - 1 + py + dy;
    let ix{{$i}} = x{{$i}} - 1 + px + dx;
    let ok{{$i}} = select(0.0, 1.0, iy{{$i}} >= 0 && iy{{$i}} < H && ix{{$i}} >= 0 && ix{{$i}} < W);
    let xb{{$i}} = ((img{{$i}} * u32(H) + u32(clamp(iy{{$i}}, 0, H - 1))) * u32(W) + u32(clamp(ix{{$i}}, 0, W - 1))) * CI4;
{{- end}}
    for (var c = 0u; c < CI4; c = c + 1u) {
{{- range $i := seq .TM}}
      let a{{$i}} = A[xb{{$i}} + c] * ok{{$i}};
{{- end}}
      let k0 = kbase + c * 4u;
{{- template "gemm_kstep" .}}
    }
  }
  if (idx < TOTAL) {
{{- range $j := seq .TN4}}
    let bias{{$j}} = Bias[n{{$j}}];
{{- end}}
{{- range $i := seq .TM}}
    {
      let oy = u32(2 * m{{$i}} + py);
      let ox = u32(2 * x{{$i}} + px);
      if (p{{$i}} < NHW && oy < CROPH && ox < CROPW) {
        let o = ((img{{$i}} * CROPH + oy) * CROPW + ox) * N4;
{{- range $j := seq $.TN4}}
        {{if $.RaggedCols}}if (col0 + {{$j}}u < N4) {{end}}{
          var v = acc{{$i}}_{{$j}} + bias{{$j}};
{{- if $.ActFn}}
          v = {{$.ActFn}}(v);
{{- end}}
{{- if $.Residual}}
          v = v + R[o + n{{$j}}];
{{- end}}
          C[o + n{{$j}}] = v;
        }
{{- end}}
      }
    }
{{- end}}
  }
}
{{end}}
