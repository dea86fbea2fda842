/**
 * The real door to file contents for a recipe (recipes are pure and take a RecipeIO): files
 * read as this process can, their modes, this user's home, and, as root, the paths root must
 * not write (host/trust.ts). The CLI, the app's engine and the privileged side all plan
 * through this one, so that root's plan and the user's preview come from the same reads.
 */
import { fileModeForRecipe, readTextForRecipe, rootWriteProblemForRecipe } from '../host/fix-files';
import type { Host } from '../host/types';
import type { RecipeIO } from './recipes/common';

export function recipeIo(host: Host): RecipeIO {
  return {
    readFile: readTextForRecipe,
    fileMode: fileModeForRecipe,
    homeDir: host.homeDir(),
    rootWriteProblem: rootWriteProblemForRecipe,
  };
}
