// The coordinator's nodes: online, last seen, key expiry, and the two actions on each (expire
// its key, remove it), both through a confirm page.

import type { NodeView } from "../admin-views.js";
import { formatAge, formatExpiry, isoTime } from "../format.js";

export const MESH_NODES_LIVE_PATH = "/live/mesh/nodes";

function NodeRow(props: { node: NodeView; now: number }) {
  const { node, now } = props;
  return (
    <tr>
      <td data-label="Node">
        <span class={node.online ? "badge online" : "badge offline"}>{node.online ? "online" : "offline"}</span> <strong>{node.name}</strong>
        {node.ephemeral ? <span class="muted"> (ephemeral)</span> : null}
        <span class="muted block">{node.hostname}</span>
      </td>
      <td data-label="Mesh address">
        {node.ipv4}
        <span class="muted block">{node.ipv6}</span>
      </td>
      <td data-label="Last seen">{formatAge(node.lastSeenAt, now)}</td>
      <td data-label="Key expiry" class={node.expired ? "warning" : undefined}>
        {node.keyExpiresAt === null ? "never" : <time datetime={isoTime(node.keyExpiresAt)}>{formatExpiry(node.keyExpiresAt, now)}</time>}
      </td>
      <td data-label="Actions" class="row-actions">
        {node.expired ? null : <a href={`/mesh/nodes/${node.id}/expire`}>Expire…</a>} <a href={`/mesh/nodes/${node.id}/remove`}>Remove…</a>
      </td>
    </tr>
  );
}

export function NodesTable(props: { nodes: readonly NodeView[]; now: number }) {
  if (props.nodes.length === 0) return <p class="muted">No node has joined yet: create a pre-auth key below and run its join command on a machine.</p>;
  return (
    <table class="responsive">
      <thead>
        <tr>
          <th>Node</th>
          <th>Mesh address</th>
          <th>Last seen</th>
          <th>Key expiry</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.nodes.map((node) => (
          <NodeRow node={node} now={props.now} />
        ))}
      </tbody>
    </table>
  );
}
