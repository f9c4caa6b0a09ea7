// The API docs: the bundled Swagger UI (loaded by the template) inside the site's header and language switch.
import { initShell } from "../common/shell.js";

initShell();
