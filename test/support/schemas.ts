// A command's request shape and validator straight from schemas/json, without the registry, so
// schema tests do not depend on which handlers exist.
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { ShapeBuilder } from '../../src/validation/shapes';
import { compileDefinition, createAjv, loadJsonSchemas } from '../../src/validation/validator';

const files = loadJsonSchemas(path.join(PROJECT_ROOT, 'schemas/json'));
const ajv = createAjv(files);
const shapes = new ShapeBuilder(files);

export function requestSchema(key: string) {
  const [name, version] = key.split('_V');
  const def = `T${name}Request_V${version}`;
  return {
    request: shapes.shapeOf(`/${key}.json`, def),
    validate: compileDefinition(ajv, `/${key}.json`, def),
  };
}
