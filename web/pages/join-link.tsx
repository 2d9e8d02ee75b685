// The pages of a one-time join link: the offer (a button), the command shown once, and gone.

import { BareLayout } from "./layout.js";

export function JoinLinkOffer() {
  return (
    <BareLayout title="Join a meshgate mesh">
      <p>This link shows the command that joins a machine to the mesh. It works once: open it on the machine that should join, or copy the command from there.</p>
      <form method="post" class="stack">
        <button type="submit">Show the join command</button>
      </form>
    </BareLayout>
  );
}

export function JoinLinkShown(props: { joinCommand: string; qrCodeDataUrl: string }) {
  return (
    <BareLayout title="Join a meshgate mesh">
      <p class="warning">This is the only time this link shows the command: copy it or scan the code now.</p>
      <p>On the machine that should join, as root, run:</p>
      <pre>
        <code class="join-command">{props.joinCommand}</code>
      </pre>
      <img class="qr" src={props.qrCodeDataUrl} alt="QR code of the join command" width={240} height={240} />
    </BareLayout>
  );
}

export function JoinLinkGone() {
  return (
    <BareLayout title="This join link no longer works">
      <p>It was used already, it expired, or the appliance restarted since it was made. Ask the mesh's admin for a new one.</p>
    </BareLayout>
  );
}
