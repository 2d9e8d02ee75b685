// What a person sees when a page cannot be shown: the status and the reason in words.

import { BareLayout } from "./layout.js";

const TITLES: Readonly<Record<number, string>> = {
  400: "That request was not valid",
  403: "Not allowed",
  404: "Not found",
  409: "Not possible right now",
  413: "Too large",
  429: "Too many attempts",
  500: "The appliance failed",
};

export function ErrorPage(props: { status: number; message: string }) {
  return (
    <BareLayout title={TITLES[props.status] ?? `Error ${props.status}`}>
      <p>{props.message}</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </BareLayout>
  );
}
