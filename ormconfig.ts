import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { SCHEMA } from './src/schema.js';

/** The DataSource for the TypeORM CLI (`npm run migration:run`); the app builds the same options. */
export default new DataSource(dataSourceOptions(loadConfig(process.env).databaseUrl, SCHEMA));
