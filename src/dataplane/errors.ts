// Errors the dataplane throws. Only programmer and configuration mistakes throw (a wrong key
// length, a missing build); anything that comes from the network is a status, never an error.

export class CryptoArgumentError extends RangeError {
  override readonly name = "CryptoArgumentError";
}

export class CryptoModuleError extends Error {
  override readonly name = "CryptoModuleError";
}

// The AllowedIPs node pool (ALLOWED_IPS_MAX_NODES) cannot take another prefix; the table is as
// it was before the call. A configuration error: too many routes for this build.
export class AllowedIpsFullError extends Error {
  override readonly name = "AllowedIpsFullError";
}
