// Prints the README's optimizer table from the registry (see src/optim/table.ts).
import { optimizerTable } from '../src/optim/table.js';

console.log(optimizerTable());
