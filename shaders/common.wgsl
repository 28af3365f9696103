{{define "common"}}
// Activations shared by every kernel, one vec4 function per act.Func named
// after it (hswish4, gelu4): templates call the name in their data (ActFn).
fn hswish4(x: vec4<f32>) -> vec4<f32> {
  return x * clamp(x + vec4<f32>(3.0), vec4<f32>(0.0), vec4<f32>(6.0)) / 6.0;
}
// erf by Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7).
fn erf4(x: vec4<f32>) -> vec4<f32> {
  let s = sign(x);
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return s * y;
}
fn gelu4(x: vec4<f32>) -> vec4<f32> {
  return 0.5 * x * (vec4<f32>(1.0) + erf4(x * 0.70710678118654752));
}
{{end}}
