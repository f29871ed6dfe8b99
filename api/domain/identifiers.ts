/**
 * Names of tenants, streams and fields: lower-case identifiers, safe to quote in every warehouse and
 * short enough for each one's limit. The one definition: routes, both warehouses and the web check
 * against it, so a name one accepts is never refused by another.
 */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
