// An API error in the student's language: by the server's code and params (app/errors.py), or, for a
// request that does not fit the schema, by pydantic's error type and ctx; in the server's English words
// when neither is known here. Pure: the translation function is passed in (t() on the pages).
import { formatCount } from "./i18n.js";

// pydantic's error type → [our key, params from its ctx]
const PYDANTIC = {
  greater_than_equal: (ctx) => ["err.at_least", { minimum: ctx.ge }],
  less_than_equal: (ctx) => ["err.at_most", { maximum: ctx.le }],
  greater_than: (ctx) => ["err.greater_than", { limit: ctx.gt }],
  less_than: (ctx) => ["err.less_than", { limit: ctx.lt }],
  int_parsing: () => ["err.not_integer", {}],
  int_type: () => ["err.not_integer", {}],
  int_from_float: () => ["err.not_integer", {}],
  float_parsing: () => ["err.not_number", {}],
  float_type: () => ["err.not_number", {}],
  missing: () => ["err.missing", {}],
  extra_forbidden: () => ["err.unknown_field", {}],
  literal_error: (ctx) => ["err.not_one_of", { choices: ctx.expected }],
};

function bytes(n) {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 2 ** 10 ? `${(n / 2 ** 10).toFixed(1)} KiB` : `${n} B`;
}

// params as the sentence shows them: big counts grouped, byte sizes in MiB, lists joined
function shown(code, params, tr) {
  const out = {};
  for (const [name, value] of Object.entries(params)) {
    if (code === "upload_too_large" && (name === "bytes" || name === "limit")) out[name] = bytes(value);
    else if (code === "image_too_many_pixels" && name === "limit") out[name] = (value / 1e6).toFixed(1);
    else if (name === "field") out[name] = tr(`field.${value}`) ?? value;
    else if (Array.isArray(value)) out[name] = value.join(", ");
    else out[name] = typeof value === "number" && Math.abs(value) >= 10000 ? formatCount(value) : value;
  }
  return out;
}

function where(params, tr) {
  if (params.layer === undefined) return null;
  if (params.axis === undefined) return tr("err.where.layer", params);
  return tr("err.where.axis", { ...params, axis: tr(`err.axis.${params.axis}`) ?? params.axis });
}

function withWhere(text, params, tr) {
  const place = where(params, tr);
  return place ? `${place}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
}

// One entry of a schema error: {loc: ["body", "layers", 0, "conv2d", "stride", "constrained-int"], type, ctx}
function schemaEntry(entry, tr) {
  const loc = (entry.loc ?? []).filter((part) => part !== "body" && part !== "query");
  const known = [...loc].reverse().find((part) => typeof part === "string" && tr(`field.${part}`) !== null);
  const field = known ?? loc.filter((part) => typeof part === "string" && !/[-[]/.test(part)).at(-1) ?? "";
  const rule = PYDANTIC[entry.type];
  const layerAt = loc.indexOf("layers");
  const params = {};
  if (layerAt >= 0 && typeof loc[layerAt + 1] === "number") {
    params.layer = loc[layerAt + 1];
    params.type = typeof loc[layerAt + 2] === "string" ? loc[layerAt + 2] : "";
  }
  if (!rule) return withWhere(`${field ? `${field}: ` : ""}${entry.msg}`, params, tr);
  const [key, extra] = rule(entry.ctx ?? {});
  return withWhere(tr(key, { field: tr(`field.${field}`) ?? field, ...extra }), params, tr);
}

/** The text to show for an error body {detail, code?, params?}; tr(key, vars) is null for a missing key. */
export function describeError(body, tr) {
  const { detail, code, params = {} } = body;
  if (Array.isArray(detail)) return detail.map((entry) => schemaEntry(entry, tr)).join("; ");
  const key = code ? `err.${code}` : null;
  const text = key ? tr(key, shown(code, params, tr)) : null;
  if (text === null) return typeof detail === "string" ? detail : JSON.stringify(detail);
  return withWhere(text, params, tr);
}
