/** Writes docs/scenario.schema.json from the grammar (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { SCHEMA_PATH, scenarioSchemaText } from './schema.ts';

writeFileSync(SCHEMA_PATH, scenarioSchemaText());
console.log(`wrote ${SCHEMA_PATH}`);
