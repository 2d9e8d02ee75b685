// The part of the WebAssembly JS API that meshgate uses. Node provides WebAssembly as a
// global, but @types/node does not declare it and the DOM lib would bring in browser globals.

declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  type ExportValue = Function | Global | Memory;
  type Exports = Record<string, ExportValue>;

  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}
