// JSON requests over a unix socket (the admin and node-status APIs), for the CLI.

import { request } from "node:http";

export class LocalApiUnavailableError extends Error {
  override readonly name = "LocalApiUnavailableError";
}

export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export function requestJson(socketPath: string, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath, method, path, headers: payload === undefined ? {} : { "content-type": "application/json" }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> });
          } catch {
            reject(new Error(`${socketPath} answered something that is not JSON`));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${socketPath} did not answer within 10 s`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT" || error.code === "ECONNREFUSED"
          ? new LocalApiUnavailableError(`nothing is listening on ${socketPath}`)
          : error.code === "EACCES"
            ? new LocalApiUnavailableError(`${socketPath} is only open to its owner: run as root`)
            : error,
      );
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
