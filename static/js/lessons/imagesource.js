// The image a lesson experiment runs on: a built-in sample (GET /images/samples) or the student's upload.
// The server keeps nothing, so every request carries the sample name or the file again.
import { apiGet } from "../common/api.js";
import { getLang } from "../common/i18n.js";

// select: the <select> of samples; input: the <input type=file>; state.sample holds the chosen name;
// onChange is called after the student picks another sample or a file.
export async function bindImageSource(select, input, state, onChange) {
  const source = { upload: null };
  const { samples } = await apiGet("/images/samples");
  const render = () => {
    const options = samples.map((s) => {
      const option = document.createElement("option");
      option.value = s.name;
      option.textContent = getLang() === "ru" ? s.title_ru : s.title_en;
      return option;
    });
    if (source.upload) {
      const option = document.createElement("option");
      option.value = "";
      option.textContent = source.upload.name;
      options.unshift(option);
    }
    select.replaceChildren(...options);
    select.value = source.upload ? "" : state.sample;
  };
  select.addEventListener("change", () => {
    if (!select.value) return;
    state.sample = select.value;
    source.upload = null;
    input.value = "";
    render();
    onChange();
  });
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (!file) return;
    source.upload = { blob: file, name: file.name };
    render();
    onChange();
  });
  document.addEventListener("langchange", render);
  render();
  // a FormData with the image and the given fields
  return (fields) => {
    const form = new FormData();
    if (source.upload) form.set("file", source.upload.blob, source.upload.name);
    else form.set("sample", state.sample);
    for (const [key, value] of Object.entries(fields)) form.set(key, String(value));
    return form;
  };
}
