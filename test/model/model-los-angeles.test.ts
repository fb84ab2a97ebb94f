// The model-based suite (issue 9) for the cells whose process time zone is America/Los_Angeles; see run-cells.ts.
import { runCells } from './run-cells.js';

runCells('America/Los_Angeles', 'model-los-angeles');
