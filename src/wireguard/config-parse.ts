// Reading a configuration file, the way wg(8) (src/config.c, config_read_line) and wg-quick(8)
// (parse_options) read it, but stricter where they silently take the last of two values.
//
// For each line:
// 1. Cut it at the first '#' — wg(8): "Characters after and including a '#' are considered
//    comments" — and skip it if only whitespace remains.
// 2. "[Interface]" or "[Peer]", in any letter case, opens a section; opening any section closes
//    the current [Peer], which must have a PublicKey no earlier peer has.
// 3. Any other line is "Key = Value": the key (any letter case) must be a field of the current
//    section, set at most once unless it is a list or a hook; its rule reads the value.
// At the end of the text the last [Peer] is closed the same way.
//
// Secrets: a wg-quick file is text, so its PrivateKey and PresharedKey lines are in the JS
// string read from the file (not wipeable; a file only root reads); the parsed keys are bytes.

import { ConfigError } from "./config-error.js";
import { INTERFACE_FIELDS, PEER_FIELDS, type FieldRule, type PeerDraft } from "./config-fields.js";
import { emptyInterfaceConfig, type InterfaceConfig, type PeerConfig, type WireGuardConfig } from "./config-model.js";
import { encodeKey } from "./key-base64.js";

/** Parses the text of a wg or wg-quick configuration file. Throws ConfigError naming `sourceName`. */
export function parseWireGuardConfig(text: string, sourceName = "<config>"): WireGuardConfig {
  const reader = new ConfigReader(sourceName);
  text.split(/\r?\n/).forEach((line, index) => reader.readLine(line, index + 1));
  return reader.finish();
}

type Section =
  | { readonly kind: "interface"; readonly fieldLines: Map<string, number> }
  | {
      readonly kind: "peer";
      readonly headerLine: number;
      readonly draft: PeerDraft;
      readonly fieldLines: Map<string, number>;
    };

interface FieldLine {
  readonly line: number;
  readonly key: string;
  /** The text after '=' up to any '#', trimmed. */
  readonly value: string;
  /** The text after '=' to the end of the line, trimmed. */
  readonly valueWithComment: string;
}

class ConfigReader {
  private readonly interfaceConfig: InterfaceConfig = emptyInterfaceConfig();
  private interfaceHeaderLine: number | undefined;
  private readonly peers: PeerConfig[] = [];
  /** Base64 public key → the [Peer] line of the peer that has it, to point at both duplicates. */
  private readonly peerHeaderLines = new Map<string, number>();
  private section: Section | undefined;

  constructor(private readonly source: string) {}

  readLine(raw: string, line: number): void {
    const hash = raw.indexOf("#");
    const content = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (content === "") return;
    if (content.startsWith("[")) return this.openSection(content, line);

    const equals = content.indexOf("=");
    const key = content.slice(0, equals === -1 ? content.length : equals).trim();
    if (equals === -1 || /\s/.test(key)) {
      // "PrivateKey <base64>" without '=' still contains one: base64 padding. Either way only
      // the first word is quoted, as the rest may be a secret key.
      const word = content.split(/\s/, 1)[0] ?? content;
      const after = equals === -1 ? 'without "="' : 'and more words before "="';
      const detail = `expected "Key = Value" or a [Section] header, got "${word}" ${after}`;
      throw this.error(line, canonicalName(word), detail);
    }
    if (key === "") throw this.error(line, undefined, 'expected a field name before "="');
    const field: FieldLine = {
      line,
      key,
      value: content.slice(equals + 1).trim(),
      // wg-quick takes hooks from the unstripped line: a '#' in a command is part of it. The
      // raw line's first '=' is the one found before any '#'.
      valueWithComment: raw.slice(raw.indexOf("=") + 1).trim(),
    };
    const section = this.section;
    if (section === undefined) {
      const detail = "comes before any section; put it under [Interface] or [Peer]";
      throw this.error(line, canonicalName(key) ?? key, detail);
    }
    if (section.kind === "interface") {
      this.readField(INTERFACE_FIELDS, "[Interface]", section.fieldLines, this.interfaceConfig, field);
    } else {
      this.readField(PEER_FIELDS, "[Peer]", section.fieldLines, section.draft, field);
    }
  }

  finish(): WireGuardConfig {
    this.closePeer();
    return { interface: this.interfaceConfig, peers: this.peers };
  }

  private openSection(header: string, line: number): void {
    if (!header.endsWith("]")) {
      throw this.error(line, undefined, `expected "[Interface]" or "[Peer]", got "${header}"`);
    }
    this.closePeer();
    const name = header.slice(1, -1).trim().toLowerCase();
    if (name === "interface") {
      if (this.interfaceHeaderLine !== undefined) {
        // wg(8): "Multiple Peer sections may be specified, but only one Interface section".
        const detail = `second [Interface] section (the first is on line ${this.interfaceHeaderLine}); only one is allowed`;
        throw this.error(line, undefined, detail);
      }
      this.interfaceHeaderLine = line;
      this.section = { kind: "interface", fieldLines: new Map() };
    } else if (name === "peer") {
      this.section = { kind: "peer", headerLine: line, draft: { allowedIps: [] }, fieldLines: new Map() };
    } else {
      throw this.error(line, undefined, `unknown section "${header}"; expected [Interface] or [Peer]`);
    }
  }

  private readField<Target>(
    rules: readonly FieldRule<Target>[],
    here: string,
    fieldLines: Map<string, number>,
    target: Target,
    { line, key, value, valueWithComment }: FieldLine,
  ): void {
    const rule = findRule(rules, key);
    if (rule === undefined) {
      const elsewhere = canonicalName(key);
      if (elsewhere !== undefined) {
        const there = here === "[Peer]" ? "[Interface]" : "[Peer]";
        throw this.error(line, elsewhere, `belongs in the ${there} section, not in ${here}`);
      }
      const names = rules.map((known) => known.name).join(", ");
      throw this.error(line, key, `unknown field in ${here}; expected one of ${names}`);
    }
    const firstLine = fieldLines.get(rule.name);
    if (firstLine !== undefined && !rule.repeatable) {
      const detail = `set twice in one ${here} section (first on line ${firstLine}); only one is allowed`;
      throw this.error(line, rule.name, detail);
    }
    const text = rule.keepsComment ? valueWithComment : value;
    if (text === "" && !rule.mayBeEmpty) {
      throw this.error(line, rule.name, `expected ${rule.expected}, got an empty value`);
    }
    const problem = rule.read(target, text);
    if (problem !== null) throw this.error(line, rule.name, problem);
    fieldLines.set(rule.name, line);
  }

  private closePeer(): void {
    const section = this.section;
    if (section?.kind !== "peer") return;
    const { draft, headerLine } = section;
    if (draft.publicKey === undefined) {
      throw this.error(headerLine, "PublicKey", "this [Peer] section has no PublicKey; every peer needs one");
    }
    const keyText = encodeKey(draft.publicKey);
    const earlierPeer = this.peerHeaderLines.get(keyText);
    if (earlierPeer !== undefined) {
      const keyLine = section.fieldLines.get("PublicKey") ?? headerLine;
      const detail = `the [Peer] on line ${earlierPeer} has the same key; each peer needs its own`;
      throw this.error(keyLine, "PublicKey", detail);
    }
    this.peerHeaderLines.set(keyText, headerLine);
    this.peers.push({ ...draft, publicKey: draft.publicKey });
  }

  private error(line: number, field: string | undefined, detail: string): ConfigError {
    return new ConfigError(this.source, line, field, detail);
  }
}

/** The documented spelling of a field of either section, or undefined for an unknown key. */
function canonicalName(key: string): string | undefined {
  return findRule(INTERFACE_FIELDS, key)?.name ?? findRule(PEER_FIELDS, key)?.name;
}

function findRule<Target>(rules: readonly FieldRule<Target>[], key: string): FieldRule<Target> | undefined {
  const lower = key.toLowerCase();
  return rules.find((rule) => rule.name.toLowerCase() === lower);
}
