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

/** A credential's allowed address ranges (normalised CIDR, which hold no comma) as one comma-separated text; null: any address. */
const addressRanges: ValueTransformer = {
  to: (value: readonly string[] | null | undefined) => (value == null ? value : value.length ? value.join(',') : null),
  from: (value: string | null) => (value ? value.split(',') : null),
};

export function AddressRangesColumn(options: Omit<ColumnOptions, 'type' | 'transformer'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'text', nullable: true, transformer: addressRanges });
}
