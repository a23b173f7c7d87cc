import { Column, type ColumnOptions, type ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in a BIGINT: the same type, the same comparisons
 * and no time-zone conversions on SQLite and PostgreSQL (pg hands BIGINT back as a string).
 */
const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : value.getTime()),
  from: (value: string | number | null) => (value == null ? null : new Date(Number(value))),
};

export function InstantColumn(options: Omit<ColumnOptions, 'type' | 'transformer'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'bigint', transformer: epochMs });
}
