// Jest runs each test file in its own V8 context, whose typed-array constructors differ from Node's.
// onnxruntime-node (under transformers.js) checks `data instanceof Float32Array` against Node's own
// constructors, so the tests share Node's typed arrays with the test context.
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

class ParleyEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = ParleyEnvironment;
