#!/usr/bin/python3
"""PyTorch models exported to ONNX, with inputs and PyTorch's outputs, for redes' import tests.

Run by hand from the repository root with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/onnx_models.py

Writes tests/onnx/fixtures/<name>.onnx (torch.onnx.export, opset 13, a dynamic batch named
"N"; the second for the time-major LSTM), <name>_input.npy and <name>_output.npy (float32; token ids as float32 for the language
model), which tests/onnx/pytorch_import_test.cpp imports and matches to 1e-4. The weights are
PyTorch's initialisation from a fixed seed, except batch norm's running statistics, which are
drawn away from 0 and 1 so that they are tested; the models are small so that the files are.
"""
import io
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "onnx", "fixtures")


class LeNet5(nn.Module):
    """examples/lenet5-fashion.toml: conv 6@5x5 (padding 2), pool, conv 16@5x5, pool, 120, 84, 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)  # exported as Shape, Gather, Unsqueeze, Concat, Reshape
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Convnet(nn.Module):
    """examples/convnet-fashion.toml's shape (conv, conv, pool, dropout, dense, dropout, 10),
    narrowed from 32-64-1024 to 4-8-32 to keep the file small."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.drop1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(8 * 14 * 14, 32)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.drop1(F.max_pool2d(x, 2))
        x = torch.flatten(x, 1)
        return self.fc2(self.drop2(F.relu(self.fc1(x))))


class Residual(nn.Module):
    """Batch norm and residual additions: conv-bn-relu, two blocks x + bn(conv(relu(bn(conv x)))),
    a strided conv with GELU, global average pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.blocks = nn.ModuleList()
        for _ in range(2):
            self.blocks.append(nn.ModuleList([nn.Conv2d(8, 8, 3, padding=1, bias=False),
                                              nn.BatchNorm2d(8),
                                              nn.Conv2d(8, 8, 3, padding=1, bias=False),
                                              nn.BatchNorm2d(8)]))
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        for c1, b1, c2, b2 in self.blocks:
            x = F.relu(x + b2(c2(F.relu(b1(c1(x))))))
        x = F.gelu(self.down(x))  # exported as its Erf expansion (Gelu is opset 20)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class LSTMClassifier(nn.Module):
    """Fashion-MNIST rows as a sequence (examples/lstm-fashion-rows.toml's shape): LSTM over 28
    steps of 28 features, the last hidden state h_n[-1] into a linear layer."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 32, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


class BiGRU(nn.Module):
    """A bidirectional GRU whose two final states are concatenated (forward, backward)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(32, 3)

    def forward(self, x):
        _, h = self.gru(x)
        return self.fc(torch.cat((h[-2], h[-1]), dim=1))


class TimeMajorLSTM(nn.Module):
    """An LSTM over (T, N, F) sequences (batch_first=False), its last state into a linear layer:
    imported with the input's batch axis 1."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 12)
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


class WordModel(nn.Module):
    """An embedding + two-layer LSTM language model: ids (N, T) -> next-token logits (N, T, V)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 16)
        self.lstm = nn.LSTM(16, 24, num_layers=2, batch_first=True)
        self.fc = nn.Linear(24, 30)

    def forward(self, ids):
        y, _ = self.lstm(self.embed(ids))
        return self.fc(y)


def write(name, model, x, batch_axis=0):
    model.eval()
    with torch.no_grad():
        want = model(x)
    f = io.BytesIO()
    torch.onnx.export(model, x, f, opset_version=13, input_names=["input"],
                      output_names=["output"],
                      dynamic_axes={"input": {batch_axis: "N"}, "output": {0: "N"}})
    with open(os.path.join(OUT, name + ".onnx"), "wb") as out:
        out.write(f.getvalue())
    np.save(os.path.join(OUT, name + "_input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(OUT, name + "_output.npy"), want.numpy().astype(np.float32))
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, "
          f"{len(f.getvalue())} bytes, output {tuple(want.shape)}")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    residual = Residual()
    for m in residual.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    write("lenet5", LeNet5(), torch.rand(3, 1, 28, 28))
    write("convnet", Convnet(), torch.rand(2, 1, 28, 28))
    write("residual", residual, torch.randn(2, 3, 12, 12))
    write("lstm_classifier", LSTMClassifier(), torch.rand(3, 28, 28))
    write("bigru", BiGRU(), torch.randn(4, 6, 8))
    write("word_model", WordModel(), torch.randint(0, 30, (2, 7)))
    write("lstm_time_major", TimeMajorLSTM(), torch.randn(5, 3, 8), batch_axis=1)


if __name__ == "__main__":
    main()
