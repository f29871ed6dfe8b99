/** The JSON Schema subset a stream's schema may use. Anything else is rejected at creation. */
export type PrimitiveType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface PropertySchema {
  type: PrimitiveType | PrimitiveType[];
  description?: string;
  format?: 'date-time' | 'date' | 'email' | 'uuid';
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  /** For type object: nested properties are allowed but stored as one JSON column. */
  properties?: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: PropertySchema;
}

export interface ObjectSchema {
  type: 'object';
  description?: string;
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
}

/** Logical column types; each warehouse adapter maps them to its own SQL types. */
export type ColumnType = 'string' | 'timestamp' | 'date' | 'integer' | 'number' | 'boolean' | 'json';

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
}
