// On-device tuning in the browser, the JavaScript half (lowformer.js uses
// it; the Go half is wasm/tune_js.go over lowformer.Model.Tune):
//
//   - the load options tune ('off' | 'cached' | 'background'), tuning (a
//     table: URL or object) and tuneBudgetMs, checked here;
//   - the store of tables, one per adapter identity (vendor, architecture,
//     device, description, backend, as the Go side reads them from
//     GPUAdapter.info): IndexedDB, else the Cache API, else this realm's
//     memory. Tables are kept as the JSON text Go wrote; Go parses and
//     checks what it reads back (a corrupt one is ignored with a note in
//     info.tuningNotes);
//   - background tuning: after the model's first result (never before,
//     never in its way), one run of Model.Tune on the page's adapter with a
//     time budget, progress events ({phase: 'tune', loaded, total, key,
//     candidate, ms} then {phase: 'tuned', loaded, total, ...}) and the
//     table saved to the store after each round, so that the next page
//     load (tune: 'cached', the default) uses it and the next background
//     run goes on where this one stopped.

/** The IndexedDB database of the stored tables (object store 'tables'). */
export const TUNING_DB = 'lowformer-tuning';
/** The Cache API cache of the stored tables where IndexedDB is missing. */
export const TUNING_CACHE = 'lowformer-tuning-v1';
/** The budget of a background tuning run when tuneBudgetMs is not set. */
export const DEFAULT_TUNE_BUDGET_MS = 60000;

const MODES = ['off', 'cached', 'background'];
// The calls whose result is "the first result" that background tuning waits for.
export const RESULTS = new Set(['logits', 'classify', 'classifyEncoded', 'classifyBatch', 'embed', 'embedEncoded', 'embeddings', 'features', 'frame']);

/**
 * Checks the tuning load options and fills in the defaults.
 * @returns {{tune: 'off'|'cached'|'background', tuning: any, tuneBudgetMs: number}}
 */
export function tuneOptions({ tune = 'cached', tuning = null, tuneBudgetMs = DEFAULT_TUNE_BUDGET_MS } = {}) {
  if (!MODES.includes(tune)) throw new TypeError(`lowformer: tune must be 'off', 'cached' or 'background', not ${JSON.stringify(tune)}`);
  if (typeof tuneBudgetMs !== 'number' || !(tuneBudgetMs > 0) || !Number.isFinite(tuneBudgetMs)) {
    throw new TypeError(`lowformer: tuneBudgetMs must be a positive number of milliseconds, not ${JSON.stringify(tuneBudgetMs)}`);
  }
  if (tuning != null && typeof tuning !== 'string' && !(tuning instanceof URL) && (typeof tuning !== 'object' || Array.isArray(tuning))) {
    throw new TypeError(`lowformer: tuning must be a URL or a tuning table object (model.tuningTable()), not ${Array.isArray(tuning) ? 'an array' : typeof tuning}`);
  }
  return { tune, tuning, tuneBudgetMs };
}

/**
 * The text of the tuning option: an object's JSON, or what its URL holds
 * (read with readFile where that takes it, as the weights are in Node).
 * Go parses and checks it: a malformed table fails the load.
 * @param {any} tuning
 * @param {((ref: string|URL) => (() => Promise<Uint8Array>)|null)} fileReader
 * @returns {Promise<string>} '' when there is none
 */
export async function tuningText(tuning, fileReader) {
  if (tuning == null) return '';
  if (typeof tuning === 'object' && !(tuning instanceof URL)) {
    try {
      return JSON.stringify(tuning);
    } catch (err) {
      throw new TypeError(`lowformer: tuning: the table object cannot be written as JSON: ${err.message}`);
    }
  }
  const read = fileReader(tuning);
  if (read) return new TextDecoder().decode(await read());
  let resp;
  try {
    resp = await fetch(tuning);
  } catch (err) {
    throw new Error(`lowformer: tuning: cannot fetch ${tuning}: ${err.message}`);
  }
  if (!resp.ok) throw new Error(`lowformer: tuning: cannot fetch ${tuning}: HTTP ${resp.status}`);
  return resp.text();
}

// ---------------------------------------------------------------------------
// The store.

/** The key of an adapter identity in every store. */
function keyOf(id) {
  return JSON.stringify([id.vendor, id.architecture, id.device, id.description, id.backend]);
}

function describeId(id) {
  return JSON.stringify(id.description || `${id.vendor} ${id.device}`.trim() || 'unnamed adapter');
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('IndexedDB request failed'));
  });
}

let dbPromise = null;
function openDB() {
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(TUNING_DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('tables');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('cannot open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  }).catch((err) => {
    dbPromise = null;
    throw err;
  });
  return dbPromise;
}

const idb = {
  kind: 'IndexedDB',
  async get(key) {
    const db = await openDB();
    const rec = await request(db.transaction('tables').objectStore('tables').get(key));
    return rec == null ? null : rec.table;
  },
  async put(key, table) {
    const db = await openDB();
    const tx = db.transaction('tables', 'readwrite');
    tx.objectStore('tables').put({ table, saved: Date.now() }, key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = tx.onabort = () => reject(tx.error || new Error('IndexedDB write failed'));
    });
  },
  async clear() {
    const db = await openDB();
    await request(db.transaction('tables', 'readwrite').objectStore('tables').clear());
  },
};

const cacheURL = (key) => `https://lowformer.invalid/tuning/${encodeURIComponent(key)}`;
const cacheStore = {
  kind: 'Cache API',
  async get(key) {
    const r = await (await caches.open(TUNING_CACHE)).match(cacheURL(key));
    return r ? r.text() : null;
  },
  async put(key, table) {
    await (await caches.open(TUNING_CACHE)).put(cacheURL(key), new Response(table, { headers: { 'content-type': 'application/json' } }));
  },
  async clear() {
    await caches.delete(TUNING_CACHE);
  },
};

const memoryTables = new Map();
const memoryStore = {
  kind: 'memory',
  async get(key) {
    return memoryTables.get(key) ?? null;
  },
  async put(key, table) {
    memoryTables.set(key, table);
  },
  async clear() {
    memoryTables.clear();
  },
};

/** The store of this realm: IndexedDB, else the Cache API, else memory. */
function backend() {
  if (typeof indexedDB !== 'undefined' && indexedDB) return idb;
  if (typeof caches !== 'undefined' && caches) return cacheStore;
  return memoryStore;
}

/**
 * The tuningStore passed to the Go load (see wasm/tune_js.go): load(identity)
 * → {table, where} | null, save(identity, text) → where. A store that fails
 * (IndexedDB refused, quota) falls back to memory for that call.
 */
export function tuningStore() {
  const where = (b, id) => `${b.kind} ${b === idb ? TUNING_DB : b === cacheStore ? TUNING_CACHE : ''} ${describeId(id)}`.replace('  ', ' ');
  return {
    async load(id) {
      const b = backend();
      let table = null;
      let from = b;
      try {
        table = await b.get(keyOf(id));
      } catch (err) {
        console.warn(`lowformer: the tuning store (${b.kind}) cannot be read: ${err.message}`);
      }
      if (table == null && memoryTables.has(keyOf(id))) [table, from] = [memoryTables.get(keyOf(id)), memoryStore];
      return table == null ? null : { table: String(table), where: where(from, id) };
    },
    async save(id, table) {
      const b = backend();
      try {
        await b.put(keyOf(id), table);
        return where(b, id);
      } catch (err) {
        console.warn(`lowformer: the tuning store (${b.kind}) cannot be written (${err.message}); keeping the table in memory`);
        memoryTables.set(keyOf(id), table);
        return where(memoryStore, id);
      }
    },
  };
}

/** Deletes every stored tuning table of this origin (LowFormer.clearTuning). */
export async function clearTuning() {
  memoryTables.clear();
  await backend().clear();
}

// ---------------------------------------------------------------------------
// Background tuning.

/**
 * One model's background tuning: made at load with tune: 'background' on
 * the GPU backend, armed by the first result of one of the model's calls
 * (the model's one first-result hook calls arm), started (once) right
 * after it, run with the budget.
 */
export class BackgroundTuner {
  /**
   * @param {{call: (name: string, ...args: any[]) => Promise<any>}} rt
   * @param {number} id the model's handle
   * @param {number} budgetMs
   * @param {((p: object) => void)|null} onProgress
   */
  constructor(rt, id, budgetMs, onProgress) {
    this.rt = rt;
    this.id = id;
    this.budgetMs = budgetMs;
    this.onProgress = typeof onProgress === 'function' ? onProgress : null;
    this.started = false;
    /** Whether a call has given its first result (the run starts right after it). */
    this.armed = false;
    /** @type {string|null} the table of the finished run, JSON */
    this.table = null;
    this.done = new Promise((resolve) => { this.resolve = resolve; });
  }

  /** The model's first result has come: the run starts right after it (Local#afterFirstResult calls this). */
  arm() {
    if (this.started) return;
    this.armed = true;
    setTimeout(() => this.start(), 0);
  }

  #emit(p) {
    if (!this.onProgress) return;
    try {
      this.onProgress(p);
    } catch (err) {
      console.error('lowformer: onProgress threw', err);
    }
  }

  /**
   * What whenTuned gives: the run's end once a result has started it (or will, right after
   * it), else null at once — no run is under way, and none may ever start (an app that never
   * asks for a result), so the promise must not wait for one.
   */
  whenTuned() {
    return this.started || this.armed ? this.done : Promise.resolve(null);
  }

  /** The model is being disposed: a run not started yet never will (whenTuned gives null). */
  cancel() {
    if (this.started) return; // the Go side stops a run in progress (dispose)
    this.started = true;
    this.resolve(null);
  }

  /** Starts the run (once). */
  start() {
    if (this.started) return;
    this.started = true;
    const onProgress = (p) => this.#emit({ phase: 'tune', loaded: p.measured, total: p.total, key: p.key, candidate: p.candidate, ms: p.ms, error: p.error || undefined });
    // A progressive start specializes its plans in the background first:
    // tuning waits for the swap, so that the two do not share the adapter
    // and the candidates are timed against the plans they would replace.
    this.rt.call('waitSpecialized', this.id).then(() => this.rt.call('tune', this.id, { budgetMs: this.budgetMs, onProgress })).then((r) => {
      this.table = r.table;
      const { table, ...summary } = r;
      this.#emit({ phase: 'tuned', loaded: r.measured, total: r.total, ...summary });
      this.resolve(summary);
    }, (err) => {
      if (!/disposed|closed/.test(err.message)) console.warn(`lowformer: background tuning stopped: ${err.message}`);
      this.resolve({ error: err.message });
    });
  }
}
