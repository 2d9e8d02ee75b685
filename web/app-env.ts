// What the app's middleware hands its handlers: the request's session once it is checked
// (auth/guards.ts), and the token of its cookie (logout ends it).

import type { Session } from "./auth/sessions.js";

export interface AdminEnv {
  Variables: {
    session: Session;
    sessionToken: string;
  };
}
