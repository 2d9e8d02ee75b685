// Applying and taking back a policy-routing plan (src/router/policy-routing.ts) with `ip`:
// routes into the table, then the rules that send traffic there; taken back rules first, so no
// packet meets a rule pointing at a table that is being emptied.

import { addRule, deleteRoute, deleteRule, replaceRoute } from "../io/ip-command.js";
import type { PolicyRoutingPlan } from "../router/policy-routing.js";

export async function applyPolicyRouting(interfaceName: string, plan: PolicyRoutingPlan): Promise<void> {
  for (const route of plan.routes) await replaceRoute(interfaceName, route.prefix, String(route.table));
  for (const rule of plan.rules) await addRule(rule.family, rule.args);
}

export async function removePolicyRouting(interfaceName: string, plan: PolicyRoutingPlan): Promise<void> {
  for (const rule of plan.rules) await deleteRule(rule.family, rule.args);
  for (const route of plan.routes) await deleteRoute(interfaceName, route.prefix, String(route.table));
}
