// A tiny template filler for the container recipe and the Kubernetes manifests: the files
// live in templates/container/ and read as what they produce. `{{name}}` is a value;
// `{{#name}}…{{/name}}` keeps its lines when the value is truthy, `{{^name}}…{{/name}}` when
// it is falsy. A tag alone on its line takes the line with it. A placeholder without a value
// is a bug in binship, so it throws instead of writing a broken file.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { templatesDir } from "../../paths.js";

export type TemplateValue = string | number | boolean | undefined;
export type TemplateValues = Record<string, TemplateValue>;

export interface FillOptions {
  /** Turns a value into text for this file type (YAML quotes strings, a Dockerfile does not). */
  escape?: (value: string | number) => string;
  /** Named in errors. */
  name?: string;
}

const sectionPattern = /^[ \t]*\{\{([#^])(\w+)\}\}[ \t]*\n([\s\S]*?)^[ \t]*\{\{\/\2\}\}[ \t]*\n/gm;
const valuePattern = /\{\{(\w+)\}\}/g;

export function fillTemplate(text: string, values: TemplateValues, options: FillOptions = {}): string {
  const escape = options.escape ?? String;
  const where = options.name ? ` in ${options.name}` : "";
  let out = text;
  // Innermost sections first, so nesting works without a parser.
  for (let previous = ""; previous !== out; ) {
    previous = out;
    out = out.replace(sectionPattern, (_all, kind: string, key: string, body: string) => {
      if (!(key in values)) throw new Error(`template section {{${kind}${key}}}${where} has no value`);
      return Boolean(values[key]) === (kind === "#") ? body : "";
    });
  }
  out = out.replace(valuePattern, (_all, key: string) => {
    const value = values[key];
    if (value === undefined || typeof value === "boolean") throw new Error(`template placeholder {{${key}}}${where} has no value`);
    return escape(value);
  });
  if (/\{\{[#^/]?\w+\}\}/.test(out)) throw new Error(`template${where} has an unbalanced section tag`);
  return out;
}

/** YAML: strings as double-quoted JSON scalars (valid YAML), numbers as they are. */
export const yamlEscape = (value: string | number): string => (typeof value === "number" ? String(value) : JSON.stringify(value));

/** A file under templates/container/. */
export function readContainerTemplate(relativePath: string): Promise<string> {
  return readFile(join(templatesDir(), "container", relativePath), "utf8");
}
