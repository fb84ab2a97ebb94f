// The model-based suite (issue 9) for the cells whose process time zone is Asia/Kolkata; see run-cells.ts.
import { runCells } from './run-cells.js';

runCells('Asia/Kolkata', 'model-kolkata');
