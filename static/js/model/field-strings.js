// Russian and English strings of the "Your model" page for global fields, measured operations, notes and the
// export commands.
import { registerStrings } from "../common/i18n.js";

registerStrings({
  en: {
    "model.exportTitle": "Export your model without its weights",
    "model.exportNote":
      "The summary needs no weights: with export_params=False even Swin-B's file is small enough to upload. Put your input's size in place of 1, 3, 224, 224. The TorchScript exporter folds each batch norm into the convolution before it; where that convolution has a bias of its own (VGG-BN) the file cannot show the norm, so add do_constant_folding=False to count it.",
    "model.exportDynamo": "torch.onnx's default exporter (torch 2.9 and newer)",
    "model.exportScript": "the TorchScript exporter (dynamo=False)",
    "model.copy": "Copy",
    "model.copyDynamo": "Copy the command for the default exporter",
    "model.copyScript": "Copy the command for the TorchScript exporter",
    "model.copied": "Copied.",
    "model.copyManual": "The command is selected: press Ctrl+C to copy it.",
    "model.whole": "whole",
    "model.wholeTitle": "every output of this node sees the whole input along this axis",
    "model.measured": "measured",
    "model.measuredTitle":
      "an operation the engine does not know: its window was measured by running it on a small input and asking autograd which input positions reach each output",
    "model.fieldSummary":
      "Nodes that see the whole image: {global} (the first is {first}). Measured operations: {measured}. Nodes with notes: {notes}.",
    "model.fieldSummaryLocal":
      "Every node sees a local window of the image. Measured operations: {measured}. Nodes with notes: {notes}.",
    "model.axis.both": "height and width",
    "model.axis.height": "height",
    "model.axis.width": "width",
    "model.overlayGlobal":
      "{node}, output ({row}, {col}): sees the input's whole {axes} (r = {r}), as every output of this node does.",
  },
  ru: {
    "model.exportTitle": "Экспортируйте модель без весов",
    "model.exportNote":
      "Для расчёта веса не нужны: с export_params=False даже файл Swin-B достаточно мал для загрузки. Вместо 1, 3, 224, 224 подставьте размер своего входа. Экспортёр TorchScript встраивает каждую батч-нормализацию в свёртку перед ней; если у этой свёртки есть своё смещение (VGG-BN), по файлу нормализацию уже не увидеть — добавьте do_constant_folding=False, чтобы её параметры были учтены.",
    "model.exportDynamo": "экспортёр torch.onnx по умолчанию (torch 2.9 и новее)",
    "model.exportScript": "экспортёр TorchScript (dynamo=False)",
    "model.copy": "Копировать",
    "model.copyDynamo": "Скопировать команду для экспортёра по умолчанию",
    "model.copyScript": "Скопировать команду для экспортёра TorchScript",
    "model.copied": "Скопировано.",
    "model.copyManual": "Команда выделена: нажмите Ctrl+C, чтобы скопировать её.",
    "model.whole": "всё",
    "model.wholeTitle": "каждый выход этого узла видит вход целиком по этой оси",
    "model.measured": "измерено",
    "model.measuredTitle":
      "операция, которой нет в таблице движка: её окно измерено — её запускают на маленьком входе и спрашивают у autograd, какие позиции входа влияют на каждый выход",
    "model.fieldSummary":
      "Узлов, которые видят всё изображение: {global} (первый — {first}). Измеренных операций: {measured}. Узлов с примечаниями: {notes}.",
    "model.fieldSummaryLocal":
      "Каждый узел видит локальное окно изображения. Измеренных операций: {measured}. Узлов с примечаниями: {notes}.",
    "model.axis.both": "высоте и ширине",
    "model.axis.height": "высоте",
    "model.axis.width": "ширине",
    "model.overlayGlobal":
      "{node}, выход ({row}, {col}): видит вход целиком по {axes} (r = {r}), как и каждый выход этого узла.",
  },
});
