{{define "resize.wgsl"}}
// One pass of the evaluation preprocessing (preprocess.Resample): Pillow's
// antialiased bicubic resize in fixed point (int32 sums from
// 1<<(PB-1), clipped to bytes), exactly as the CPU path computes it.
// Taps (kernels.Resize.TapTable) holds a record for each four consecutive
// samples: the start of their window, then for each of its WINDOW
// positions the four samples' weights (zero outside a sample's taps). Each
// loaded value (four packed pixels) is used for four samples, so that the
// storage loads, which a CPU adapter makes one lane at a time, are few.
{{- if .Vertical}}
// Vertical pass: four adjacent columns of four adjacent output rows an
// invocation, from Mid [ROWS][4·MID_QUADS] packed RGB bytes → Y, the model
// input (NHWC, 4 channels, the fourth 0), image IMAGE of the batch,
// normalized as ToTensor + Normalize do: (v/255 - mean) / std.
{{- else}}
// Horizontal pass: four adjacent output columns of {{.RowBlock}} rows an
// invocation, from source rows ROW0..ROW0+ROWS-1 of Src ({{if .Texture}}an rgba8unorm
// texture{{else}}packed RGBA bytes, SRC_W a row{{end}}) → Mid [ROWS][4·MID_QUADS]
// packed RGB bytes.
{{- end}}
{{.Decls}}
const PB = {{u32 .PrecisionBits}};
const HALF = {{i32 .Half}};
const SIDE = {{u32 .Side}};
const ROWS = {{u32 .Rows}};
const MID_QUADS = {{u32 .MidQuads}};
const QUADS = {{u32 .Quads}};
const WINDOW = {{u32 .Window}};

// clip8 is Pillow's clip8 of four sums.
fn clip8(v: vec4<i32>) -> vec4<u32> {
  return vec4<u32>(clamp(v >> vec4<u32>(PB), vec4<i32>(0i), vec4<i32>(255i)));
}

// channel is byte c (0: R) of four packed pixels.
fn channel(p: vec4<u32>, c: u32) -> vec4<i32> {
  return vec4<i32>((p >> vec4<u32>(8u * c)) & vec4<u32>(0xffu));
}
{{if .Vertical}}
const IMAGE = {{u32 .Image}};
const MEAN = vec3<f32>({{f32 (index .Mean 0)}}, {{f32 (index .Mean 1)}}, {{f32 (index .Mean 2)}});
const STD = vec3<f32>({{f32 (index .Std 0)}}, {{f32 (index .Std 1)}}, {{f32 (index .Std 2)}});

{{- if .Unrolled}}

// Unrolled: the window's weights are loaded once into registers (the loop
// over the window unrolled), then applied to CHUNK column quads, one at a
// time.
const CHUNK = {{u32 .ColChunk}};
const CHUNKS = (QUADS + CHUNK - 1u) / CHUNK;

@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= CHUNKS * QUADS) { return; }
  let q0 = CHUNK * (gid.x % CHUNKS); // the first column quad
  let blk = gid.x / CHUNKS; // the row block
  let rec = blk * (WINDOW + 1u);
  let start = u32(Taps[rec].x);
{{- range $i := seq .Window}}
  let w{{$i}} = Taps[rec + {{u32 (add $i 1)}}];
  let m{{$i}} = min(start + {{u32 $i}}, ROWS - 1u) * MID_QUADS;
{{- end}}
  for (var q = q0; q < min(q0 + CHUNK, QUADS); q = q + 1u) {
{{- range $j := seq 4}}
    var r{{$j}} = vec4<i32>(HALF);
    var g{{$j}} = vec4<i32>(HALF);
    var b{{$j}} = vec4<i32>(HALF);
{{- end}}
{{- range $i := seq .Window}}
    {
      let p = Mid[m{{$i}} + q];
      let cr = channel(p, 0u);
      let cg = channel(p, 1u);
      let cb = channel(p, 2u);
{{- range $j := seq 4}}
      r{{$j}} = r{{$j}} + cr * w{{$i}}[{{$j}}];
      g{{$j}} = g{{$j}} + cg * w{{$i}}[{{$j}}];
      b{{$j}} = b{{$j}} + cb * w{{$i}}[{{$j}}];
{{- end}}
    }
{{- end}}
{{- template "resize-store" $}}
  }
}
{{- else}}

@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= QUADS * QUADS) { return; }
  let q = gid.x % QUADS; // the column quad
  let blk = gid.x / QUADS; // the row block
  let rec = blk * (WINDOW + 1u);
  let start = u32(Taps[rec].x);
{{- range $j := seq 4}}
  var r{{$j}} = vec4<i32>(HALF);
  var g{{$j}} = vec4<i32>(HALF);
  var b{{$j}} = vec4<i32>(HALF);
{{- end}}
  for (var i = 0u; i < WINDOW; i = i + 1u) {
    let w = Taps[rec + 1u + i];
    let p = Mid[min(start + i, ROWS - 1u) * MID_QUADS + q];
    let cr = channel(p, 0u);
    let cg = channel(p, 1u);
    let cb = channel(p, 2u);
{{- range $j := seq 4}}
    r{{$j}} = r{{$j}} + cr * w[{{$j}}];
    g{{$j}} = g{{$j}} + cg * w[{{$j}}];
    b{{$j}} = b{{$j}} + cb * w[{{$j}}];
{{- end}}
  }
{{- template "resize-store" .}}
}
{{- end}}
{{else}}
const ROW0 = {{u32 (sub .Row0 .Y0)}}; // the first row read, in Src
const X0_QUADS = {{u32 (div .X0 4)}}; // where Src starts in the image, in quads
const SRC_W = {{u32 .SrcW}};
const RB = {{u32 .RowBlock}};

// quad is image pixels 4·j..4·j+3 (source pixels 4·i.., i = j - X0_QUADS)
// of row y of Src as packed RGB bytes (a column past the row clamped to
// its last: its weight is 0).
fn quad(j: u32, y: u32) -> vec4<u32> {
  let i = j - X0_QUADS;
{{- if .Texture}}
  let x = min(vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(SRC_W - 1u));
  let t = transpose(mat4x4<f32>(textureLoad(Src, vec2<u32>(x.x, y), 0), textureLoad(Src, vec2<u32>(x.y, y), 0),
    textureLoad(Src, vec2<u32>(x.z, y), 0), textureLoad(Src, vec2<u32>(x.w, y), 0)));
  return vec4<u32>(round(t[0] * 255.0)) | (vec4<u32>(round(t[1] * 255.0)) << vec4<u32>(8u)) |
    (vec4<u32>(round(t[2] * 255.0)) << vec4<u32>(16u));
{{- else if .Aligned}}
  return Src[y * (SRC_W / 4u) + min(i, SRC_W / 4u - 1u)];
{{- else}}
  let x = min(vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(SRC_W - 1u));
  return vec4<u32>(Src[y * SRC_W + x.x], Src[y * SRC_W + x.y], Src[y * SRC_W + x.z], Src[y * SRC_W + x.w]);
{{- end}}
}

{{- if .Unrolled}}

// Unrolled: the window's weights are loaded once into registers (the loop
// over the window unrolled), then applied to RB rows, one at a time.
@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= QUADS * ((ROWS + RB - 1u) / RB)) { return; }
  let q = gid.x % QUADS; // the column group
  let y0 = RB * (gid.x / QUADS);
  let rec = q * (WINDOW + 1u);
  let q0 = u32(Taps[rec].x);
{{- range $c := seq (div .Window 4)}}
  let w{{$c}}x = Taps[rec + {{u32 (add (mul 4 $c) 1)}}];
  let w{{$c}}y = Taps[rec + {{u32 (add (mul 4 $c) 2)}}];
  let w{{$c}}z = Taps[rec + {{u32 (add (mul 4 $c) 3)}}];
  let w{{$c}}w = Taps[rec + {{u32 (add (mul 4 $c) 4)}}];
{{- end}}
  for (var y = y0; y < min(y0 + RB, ROWS); y = y + 1u) {
    var r = vec4<i32>(HALF);
    var g = vec4<i32>(HALF);
    var b = vec4<i32>(HALF);
{{- range $c := seq (div .Window 4)}}
    {
      let p = quad(q0 + {{u32 $c}}, ROW0 + y);
      let cr = channel(p, 0u);
      let cg = channel(p, 1u);
      let cb = channel(p, 2u);
      r = r + w{{$c}}x * cr.x + w{{$c}}y * cr.y + w{{$c}}z * cr.z + w{{$c}}w * cr.w;
      g = g + w{{$c}}x * cg.x + w{{$c}}y * cg.y + w{{$c}}z * cg.z + w{{$c}}w * cg.w;
      b = b + w{{$c}}x * cb.x + w{{$c}}y * cb.y + w{{$c}}z * cb.z + w{{$c}}w * cb.w;
    }
{{- end}}
    Mid[y * MID_QUADS + q] = clip8(r) | (clip8(g) << vec4<u32>(8u)) | (clip8(b) << vec4<u32>(16u));
  }
}
{{- else}}

@compute @workgroup_size({{.WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= QUADS * ((ROWS + RB - 1u) / RB)) { return; }
  let q = gid.x % QUADS; // the column group
  let y = RB * (gid.x / QUADS);
  let rec = q * (WINDOW + 1u);
  let q0 = u32(Taps[rec].x);
{{- range $j := seq .RowBlock}}
  let y{{$j}} = ROW0 + min(y + {{u32 $j}}, ROWS - 1u);
  var r{{$j}} = vec4<i32>(HALF);
  var g{{$j}} = vec4<i32>(HALF);
  var b{{$j}} = vec4<i32>(HALF);
{{- end}}
  for (var c = 0u; c < WINDOW / 4u; c = c + 1u) {
    let w0 = Taps[rec + 1u + 4u * c];
    let w1 = Taps[rec + 2u + 4u * c];
    let w2 = Taps[rec + 3u + 4u * c];
    let w3 = Taps[rec + 4u + 4u * c];
{{- range $j := seq .RowBlock}}
    {
      let p = quad(q0 + c, y{{$j}});
      let cr = channel(p, 0u);
      let cg = channel(p, 1u);
      let cb = channel(p, 2u);
      r{{$j}} = r{{$j}} + w0 * cr.x + w1 * cr.y + w2 * cr.z + w3 * cr.w;
      g{{$j}} = g{{$j}} + w0 * cg.x + w1 * cg.y + w2 * cg.z + w3 * cg.w;
      b{{$j}} = b{{$j}} + w0 * cb.x + w1 * cb.y + w2 * cb.z + w3 * cb.w;
    }
{{- end}}
  }
{{- range $j := seq .RowBlock}}
{{- if $.RaggedRows}}
  if (y + {{u32 $j}} < ROWS) {
    Mid[(y + {{u32 $j}}) * MID_QUADS + q] = clip8(r{{$j}}) | (clip8(g{{$j}}) << vec4<u32>(8u)) | (clip8(b{{$j}}) << vec4<u32>(16u));
  }
{{- else}}
  Mid[(y + {{u32 $j}}) * MID_QUADS + q] = clip8(r{{$j}}) | (clip8(g{{$j}}) << vec4<u32>(8u)) | (clip8(b{{$j}}) << vec4<u32>(16u));
{{- end}}
{{- end}}
}
{{- end}}
{{end}}
{{end}}

{{define "resize-store"}}
{{- /* The vertical pass's outputs: rows 4·blk.. of column quad q. */ -}}
{{- range $j := seq 4}}
  {
    let y = 4u * blk + {{u32 $j}};
{{- if $.RaggedRows}}
    if (y < SIDE) {
{{- end}}
    let fr = vec4<f32>(clip8(r{{$j}})) / 255.0;
    let fg = vec4<f32>(clip8(g{{$j}})) / 255.0;
    let fb = vec4<f32>(clip8(b{{$j}})) / 255.0;
    let o = IMAGE * SIDE * SIDE + y * SIDE + 4u * q;
{{- range $k := seq 4}}
{{- if $.RaggedCols}}
    if (4u * q + {{u32 $k}} < SIDE) {
      Y[o + {{u32 $k}}] = vec4<f32>((vec3<f32>(fr[{{$k}}], fg[{{$k}}], fb[{{$k}}]) - MEAN) / STD, 0.0);
    }
{{- else}}
    Y[o + {{u32 $k}}] = vec4<f32>((vec3<f32>(fr[{{$k}}], fg[{{$k}}], fb[{{$k}}]) - MEAN) / STD, 0.0);
{{- end}}
{{- end}}
{{- if $.RaggedRows}}
    }
{{- end}}
  }
{{- end}}
{{end}}
