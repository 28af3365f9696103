{{define "resize.wgsl"}}
// One pass of the evaluation preprocessing (preprocess.Resample): Pillow's
// antialiased bicubic resize in fixed point (int32 sums from
// 1<<(PB-1), clipped to bytes), exactly as the CPU path computes it.
// Taps holds one record of K+2 i32 per output sample: the first source
// index, the number of weights, the weights.
{{- if .Vertical}}
// Vertical pass: Mid [ROWS][SIDE] packed RGB bytes → Y, the model input
// (NHWC, 4 channels, the fourth 0), image IMAGE of the batch, normalized
// as ToTensor + Normalize do: (v/255 - mean) / std.
{{- else}}
// Horizontal pass: source rows ROW0..ROW0+ROWS-1 of Src ({{if .Texture}}an
// rgba8unorm texture{{else}}packed RGBA bytes, SRC_W a row{{end}}) → Mid [ROWS][SIDE]
// packed RGB bytes.
{{- end}}
{{.Decls}}
const PB = {{u32 .PrecisionBits}};
const HALF = {{i32 .Half}};
const SIDE = {{u32 .Side}};
const ROWS = {{u32 .Rows}};
const K2 = {{u32 (add .K 2)}};

fn clip8(v: vec3<i32>) -> vec3<u32> {
  return vec3<u32>(clamp(v >> vec3<u32>(PB), vec3<i32>(0i), vec3<i32>(255i)));
}

fn unpack(p: u32) -> vec3<i32> {
  return vec3<i32>(i32(p & 0xffu), i32((p >> 8u) & 0xffu), i32((p >> 16u) & 0xffu));
}
{{if .Vertical}}
const IMAGE = {{u32 .Image}};
const MEAN = vec3<f32>({{f32 (index .Mean 0)}}, {{f32 (index .Mean 1)}}, {{f32 (index .Mean 2)}});
const STD = vec3<f32>({{f32 (index .Std 0)}}, {{f32 (index .Std 1)}}, {{f32 (index .Std 2)}});

@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= SIDE * SIDE) { return; }
  let x = gid.x % SIDE;
  let rec = (gid.x / SIDE) * K2;
  let r0 = u32(Taps[rec]);
  let n = u32(Taps[rec + 1u]);
  var s = vec3<i32>(HALF);
  for (var i = 0u; i < n; i = i + 1u) {
    s = s + unpack(Mid[(r0 + i) * SIDE + x]) * Taps[rec + 2u + i];
  }
  let v = vec3<f32>(clip8(s)) / 255.0;
  Y[IMAGE * SIDE * SIDE + gid.x] = vec4<f32>((v - MEAN) / STD, 0.0);
}
{{else}}
const ROW0 = {{u32 .Row0}};
{{- if not .Texture}}
const SRC_W = {{u32 .SrcW}};
{{- end}}

fn px(x: u32, y: u32) -> vec3<i32> {
{{- if .Texture}}
  return vec3<i32>(round(textureLoad(Src, vec2<u32>(x, y), 0).rgb * 255.0));
{{- else}}
  return unpack(Src[y * SRC_W + x]);
{{- end}}
}

@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= SIDE * ROWS) { return; }
  let y = ROW0 + gid.x / SIDE;
  let rec = (gid.x % SIDE) * K2;
  let x0 = u32(Taps[rec]);
  let n = u32(Taps[rec + 1u]);
  var s = vec3<i32>(HALF);
  for (var i = 0u; i < n; i = i + 1u) {
    s = s + px(x0 + i, y) * Taps[rec + 2u + i];
  }
  let c = clip8(s);
  Mid[gid.x] = c.r | (c.g << 8u) | (c.b << 16u);
}
{{end}}
{{end}}
