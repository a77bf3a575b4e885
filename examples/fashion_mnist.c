// SPDX-License-Identifier: MIT
// Fashion-MNIST from its IDX files: train a 784-256-128-10 network, then
// report the test accuracy.
//   fashion_mnist [DIR [TRAIN_ROWS [EPOCHS]]]
// DIR defaults to Debian's dataset-fashion-mnist location; without the files
// the program says so and exits 0 (skipped). TRAIN_ROWS limits the training
// rows (0 = all 60000), for a quick run.
#include <backprop.h>
#include <stdio.h>
#include <stdlib.h>

static int load(const char *dir, const char *prefix, bp_dataset *ds) {
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    if (bp_data_load_idx(images, labels, ds) == BP_STATUS_OK) return 0;
    fprintf(stderr, "fashion_mnist: %s\n", bp_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    size_t rows = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    unsigned epochs = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 10;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", dir);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        printf("fashion_mnist: skipped, %s not found (apt-get install dataset-fashion-mnist)\n",
               probe);
        return 0;
    }
    fclose(f);

    bp_dataset train, test;
    if (load(dir, "train", &train)) return 1;
    if (load(dir, "t10k", &test)) {
        bp_dataset_free(&train);
        return 1;
    }
    bp_data subset = train.d; // bp_data owns nothing: a prefix is a smaller n
    if (rows > 0 && rows < subset.n) subset.n = rows;

    uint32_t sizes[] = {784, 256, 128, 10};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_train_options o = bp_train_options_default(); // softmax cross-entropy
    o.learning_rate = 0.05f;
    o.batch_size = 128;
    o.epochs = epochs;
    bp_net *net = NULL;
    bp_eval ev;
    int rc = 0;
    if (bp_net_create(3, sizes, acts, NULL, &net) || bp_train(net, &subset, &o) ||
        bp_net_evaluate(net, o.loss, &test.d, 0, &ev)) {
        fprintf(stderr, "fashion_mnist: %s\n", bp_last_error());
        rc = 1;
    } else {
        printf("trained on %zu rows, %u epoch%s: test accuracy %.4f, loss %.4f\n", subset.n,
               epochs, epochs == 1 ? "" : "s", ev.accuracy, ev.loss);
    }
    bp_net_destroy(net);
    bp_dataset_free(&train);
    bp_dataset_free(&test);
    return rc;
}
