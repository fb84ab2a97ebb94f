// The model-based suite (issue 9) for the cells whose process time zone is UTC; see run-cells.ts.
import { runCells } from './run-cells.js';

runCells('UTC', 'model-utc');
