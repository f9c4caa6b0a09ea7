// Where the image lab's photo comes from: a built-in sample, a file chosen, dropped or pasted, gray or RGB.
import { getLang } from "../common/i18n.js";

const $ = (id) => document.getElementById(id);

// The sample list (titles in the page's language); "—" is selected while an upload is shown.
export function renderSamples(state) {
  const options = [new Option("—", "")];
  for (const s of state.samples) {
    options.push(new Option(`${getLang() === "ru" ? s.title_ru : s.title_en} (${s.width}×${s.height})`, s.name));
  }
  $("sample").replaceChildren(...options);
  $("sample").value = state.upload ? "" : state.sample;
}

// Wire the source controls to `state`; onChange() after each change of photo or colour.
export function bindSource(state, onChange) {
  const useFile = (file) => {
    if (!file) return;
    state.upload = { blob: file, name: file.name || "pasted image" };
    $("sample").value = "";
    onChange();
  };
  $("sample").addEventListener("change", () => {
    if (!$("sample").value) return;
    state.sample = $("sample").value;
    state.upload = null;
    $("upload").value = "";
    onChange();
  });
  $("upload").addEventListener("change", () => useFile($("upload").files[0]));
  const zone = $("dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    useFile(event.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (event) => {
    const file = [...(event.clipboardData?.files ?? [])][0];
    if (file) useFile(file);
  });
  for (const radio of document.querySelectorAll("input[name=color]")) {
    radio.checked = radio.value === state.color;
    radio.addEventListener("change", () => {
      state.color = radio.value;
      onChange();
    });
  }
}
