{{define "pool.wgsl"}}
{{- if ge .PL 2}}{{template "pool_lanes" .}}{{else}}
// Global average pool over H×W of an NHWC tensor: one invocation per
// (image, 4 channels). Y is [N][C].
{{.Decls}}
{{- .Dims}}
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
{{- .LoadDims}}
  if (gid.x >= N * C4) { return; }
  let n = gid.x / C4;
  let c4 = gid.x % C4;
  var acc = vec4<f32>(0.0);
  for (var p = 0u; p < HW; p = p + 1u) {
    acc = acc + X[(n * HW + p) * C4 + c4];
  }
  Y[gid.x] = acc / f32(HW);
}
{{- end}}
{{end}}

{{define "pool_lanes"}}
// Global average pool over H×W of an NHWC tensor, for GPUs: a workgroup
// handles {{.CG}} vec4 channel groups of one image (workgroup index: channel block
// fastest, then image); invocation lid sums every {{.PL}}-th pixel of channel group
// lid % {{.CG}}, starting at pixel lid / {{.CG}}, and the {{.PL}} partial sums of a channel
// group are added in a tree over workgroup memory. Y is [N][C].
{{.Decls}}
const HW = {{u32 (mul .H .W)}};
const C4 = {{u32 (div .C 4)}};
const CG = {{u32 .CG}};
const PL = {{u32 .PL}};
const CB = {{u32 (div (add (div .C 4) (sub .CG 1)) .CG)}};
var<workgroup> part: array<vec4<f32>, {{.WG}}>;
@compute @workgroup_size({{.WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x / CB;
  let c = (wid.x % CB) * CG + lid % CG;
  let c4 = min(c, C4 - 1u);
  var acc = vec4<f32>(0.0);
  for (var p = lid / CG; p < HW; p = p + PL) {
    acc = acc + X[(n * HW + p) * C4 + c4];
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var st = PL / 2u; st > 0u; st = st / 2u) {
    if (lid < st * CG) {
      part[lid] = part[lid] + part[lid + st * CG];
    }
    workgroupBarrier();
  }
  if (lid < CG && c < C4) {
    Y[n * C4 + c] = part[lid] / f32(HW);
  }
}
{{end}}
