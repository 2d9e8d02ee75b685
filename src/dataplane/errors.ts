// Errors the dataplane throws. Only programmer and configuration mistakes throw (a wrong key
// length, a missing build); anything that comes from the network is a status, never an error.

export class CryptoArgumentError extends RangeError {
  override readonly name = "CryptoArgumentError";
}

export class CryptoModuleError extends Error {
  override readonly name = "CryptoModuleError";
}
