// Package preprocess turns an image file into the input tensor of the
// official LowFormer ImageNet evaluation, reproducing its Python pipeline
// (torchvision 0.14 on Pillow 9.4 with libjpeg-turbo 2.1 and libwebp 1.2)
// sample for sample:
//
//  1. Decode and convert to RGB as torchvision's ImageFolder loader does,
//     Image.open(f).convert("RGB"). JPEG goes through a libjpeg-turbo
//     compatible decoder (islow IDCT, fancy upsampling, fixed-point colour
//     conversion); WebP lossy chroma is upsampled as libwebp does; alpha is
//     dropped, not composited; palettes are looked up; CMYK uses Pillow's
//     formula; 16-bit samples are reduced as Pillow reads them. EXIF
//     orientation is NOT applied by default, because PIL's open/convert does
//     not apply it and the official evaluation never calls exif_transpose;
//     set Options.ApplyEXIFOrientation to apply it as
//     PIL.ImageOps.exif_transpose would.
//  2. Resize(ceil(r/0.95), BICUBIC): the shorter side becomes ceil(r/0.95)
//     and the longer one int(ceil(r/0.95)*long/short), using Pillow's
//     antialiased 8-bit bicubic resampling (fixed-point, a = -0.5, support
//     scaled by the downscale factor, horizontal pass then vertical pass,
//     each rounded and clipped to uint8).
//  3. CenterCrop(r) with offsets int(round((H-r)/2.0)) (round half to even).
//  4. ToTensor (v/255 in float32) and Normalize with the ImageNet mean and
//     std, in float32, in the same operation order as torch.
//
// Only the r x r crop is ever computed, so very elongated images cannot
// blow up memory in the resize step; the values are the same as resizing
// the whole image and cropping.
package preprocess
