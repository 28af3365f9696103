// chromiumrun.mjs WEB_DIR ADAPTER SPEC.json: runs WGSL compute kernels in
// headless Chromium's WebGPU on ADAPTER (swiftshader, which offers the
// subgroups feature, or lavapipe through ANGLE in compatibility mode; see
// ADAPTER_FLAGS in web/test/chromium.mjs), on a device with the adapter's
// limits and subgroups where offered (as gpu/open_js.go asks), and prints
// {adapter, features, results} as JSON, each result {label, out} (the
// output binding's floats) or {label, error}.
// SPEC is a list of {label, wgsl, workgroups: [x, y, z], bindings:
// [{write: bool, data: [floats]}], out: binding index}. WEB_DIR holds the
// playwright-core install and test/chromium.mjs (the browser tests' launch
// of Debian's Chromium). TestKernelsInChromium runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [webDir, adapterName, specPath] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(join(webDir, 'node_modules', 'playwright-core', 'index.mjs')).href);
const { launchChromium, serveStatic, ADAPTER_FLAGS } = await import(pathToFileURL(join(webDir, 'test', 'chromium.mjs')).href);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const srv = await serveStatic({ roots: {}, pages: { '/': '<!doctype html><title>kernels</title>' } });
const ctx = await launchChromium(chromium, { args: ADAPTER_FLAGS[adapterName] });
try {
  const page = await ctx.newPage();
  await page.goto(srv.url + '/');
  const res = await page.evaluate(async ([spec, compat]) => {
    const ad = await navigator.gpu.requestAdapter(compat ? { featureLevel: 'compatibility' } : {});
    if (!ad) return { error: 'no WebGPU adapter' };
    const features = [...ad.features];
    const want = ['subgroups'].filter((f) => ad.features.has(f));
    const requiredLimits = {};
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
      'maxStorageBuffersPerShaderStage']) {
      requiredLimits[name] = ad.limits[name];
    }
    const dev = await ad.requestDevice({ requiredFeatures: want, requiredLimits });
    const results = [];
    for (const k of spec) {
      dev.pushErrorScope('validation');
      const mod = dev.createShaderModule({ code: k.wgsl });
      const info = await mod.getCompilationInfo();
      const errs = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      if (errs.length) {
        await dev.popErrorScope();
        results.push({ label: k.label, error: errs.join('; ') });
        continue;
      }
      const pipe = dev.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
      const bufs = k.bindings.map((b) => {
        const buf = dev.createBuffer({ size: Math.max(16, 4 * b.data.length), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        dev.queue.writeBuffer(buf, 0, new Float32Array(b.data));
        return buf;
      });
      const group = dev.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: bufs.map((buffer, i) => ({ binding: i, resource: { buffer } })) });
      const outBytes = 4 * k.bindings[k.out].data.length;
      const read = dev.createBuffer({ size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = dev.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipe);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(...k.workgroups);
      pass.end();
      enc.copyBufferToBuffer(bufs[k.out], 0, read, 0, outBytes);
      dev.queue.submit([enc.finish()]);
      const err = await dev.popErrorScope();
      if (err) {
        results.push({ label: k.label, error: err.message });
        continue;
      }
      await read.mapAsync(GPUMapMode.READ);
      results.push({ label: k.label, out: [...new Float32Array(read.getMappedRange())] });
      read.unmap();
      bufs.forEach((b) => b.destroy());
    }
    return { adapter: ad.info ? `${ad.info.vendor} ${ad.info.architecture} ${ad.info.description}` : '', features, results };
  }, [spec, adapterName === 'lavapipe']);
  console.log(JSON.stringify(res));
} finally {
  await ctx.close();
  srv.close();
}
