// Reading a submitted form: every value as text (absent: ""), a checkbox as present or not.
// Hono caches the parsed body, so the CSRF check and the handler both read it.

import type { Context } from "hono";

export type FieldErrors = Partial<Record<string, string>>;

export interface SubmittedForm {
  text(name: string): string;
  checked(name: string): boolean;
}

export async function readForm(c: Context): Promise<SubmittedForm> {
  const body = await c.req.parseBody();
  const text = (name: string): string => {
    const value = body[name];
    return typeof value === "string" ? value : "";
  };
  return { text, checked: (name) => text(name) !== "" };
}
