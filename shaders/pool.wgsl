{{define "pool.wgsl"}}
// Global average pool over H×W of an NHWC tensor: one invocation per
// (image, 4 channels). Y is [N][C].
{{.Decls}}
const N = {{u32 .N}};
const HW = {{u32 (mul .H .W)}};
const C4 = {{u32 (div .C 4)}};
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= N * C4) { return; }
  let n = gid.x / C4;
  let c4 = gid.x % C4;
  var acc = vec4<f32>(0.0);
  for (var p = 0u; p < HW; p = p + 1u) {
    acc = acc + X[(n * HW + p) * C4 + c4];
  }
  Y[gid.x] = acc / f32(HW);
}
{{end}}
