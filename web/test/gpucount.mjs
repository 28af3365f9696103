// Counting live WebGPU objects in a test page. WebGPU has no registry
// report in the browser, so instrumentGPU (given to addInitScript, it runs
// before any page script) wraps the prototypes:
//
//   GPUDevice.prototype.createBuffer / createTexture / createBindGroup
//       record each new object with its device and size;
//   GPUBuffer.prototype.destroy / GPUTexture.prototype.destroy
//       forget it ("destroyed");
//   GPUDevice.prototype.destroy
//       forgets every object of that device ("freed by the device": the
//       spec destroys a device's buffers and textures with it; bind groups
//       have no destroy and die with their device);
//   GPUAdapter.prototype.requestDevice
//       counts devices and keeps the newest one (window.__gpu.lastDevice)
//       so that a test can destroy it to simulate a device loss.
//
// window.__gpu.snapshot() returns the counters and what is live now:
// {live: {buffer, texture, bindGroup, bytes, devices}, created, destroyed,
//  freedByDevice, devices: {created, destroyed}}.

/** Installs the counters; runs in the page, so it must be self-contained. */
export function instrumentGPU() {
  if (typeof GPUDevice === 'undefined' || window.__gpu) return;
  const live = new Map(); // object → {kind, device, bytes}
  const liveDevices = new Set();
  const kinds = () => ({ buffer: 0, texture: 0, bindGroup: 0 });
  const stats = { created: kinds(), destroyed: kinds(), freedByDevice: kinds(), devices: { created: 0, destroyed: 0 } };
  const texelBytes = (format) => (/32float|32uint|32sint/.test(format) ? 4 : /16/.test(format) ? 2 : 1) * (/^rgba/.test(format) ? 4 : /^rg/.test(format) ? 2 : 1);
  const texBytes = (d) => {
    const s = Array.isArray(d.size) ? { width: d.size[0], height: d.size[1] ?? 1, depthOrArrayLayers: d.size[2] ?? 1 } : d.size;
    return s.width * (s.height ?? 1) * (s.depthOrArrayLayers ?? 1) * texelBytes(d.format);
  };
  const wrapCreate = (kind, method, bytes) => {
    const orig = GPUDevice.prototype[method];
    GPUDevice.prototype[method] = function (desc) {
      const o = orig.call(this, desc);
      stats.created[kind]++;
      live.set(o, { kind, device: this, bytes: bytes(desc) });
      return o;
    };
  };
  wrapCreate('buffer', 'createBuffer', (d) => d.size);
  wrapCreate('texture', 'createTexture', texBytes);
  wrapCreate('bindGroup', 'createBindGroup', () => 0);
  for (const [kind, cls] of [['buffer', GPUBuffer], ['texture', GPUTexture]]) {
    const orig = cls.prototype.destroy;
    cls.prototype.destroy = function () {
      if (live.delete(this)) stats.destroyed[kind]++;
      return orig.call(this);
    };
  }
  const destroyDevice = GPUDevice.prototype.destroy;
  GPUDevice.prototype.destroy = function () {
    for (const [o, r] of live) {
      if (r.device === this) {
        live.delete(o);
        stats.freedByDevice[r.kind]++;
      }
    }
    if (liveDevices.delete(this)) stats.devices.destroyed++;
    return destroyDevice.call(this);
  };
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (desc) {
    const dev = await requestDevice.call(this, desc);
    stats.devices.created++;
    liveDevices.add(dev);
    window.__gpu.lastDevice = dev;
    return dev;
  };
  window.__gpu = {
    lastDevice: null,
    snapshot() {
      const now = { ...kinds(), bytes: 0, devices: liveDevices.size };
      for (const r of live.values()) {
        now[r.kind]++;
        now.bytes += r.bytes;
      }
      return JSON.parse(JSON.stringify({ live: now, ...stats }));
    },
  };
}
