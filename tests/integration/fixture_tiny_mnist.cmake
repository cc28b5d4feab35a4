# The ctest fixture `tiny_mnist`: one small but complete MNIST session (every stage, a few
# hundred real images; the settings of test_pipeline.c's a_tiny_mnist_run_produces_the_whole_table),
# made once by the real binary for the tests that read a finished session (report, UI).
#   cmake -DOCD_BIN=build/ocd -DDIR=build/tests/fixtures/tiny-mnist -P fixture_tiny_mnist.cmake
# About 35 s on 2 cores (Release).
if(NOT OCD_BIN OR NOT DIR)
  message(FATAL_ERROR "usage: cmake -DOCD_BIN=<ocd> -DDIR=<session folder> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()
file(REMOVE_RECURSE "${DIR}")
string(TIMESTAMP t0 "%s")
execute_process(
  COMMAND "${OCD_BIN}" run mnist-lenet5 --session "${DIR}"
          --set data.train_limit=300 --set data.test_limit=40 --set base.epochs=2
          --set select.samples=32 --set select.draws=8 --set overfit.samples=120 --set overfit.batch=50
          --set diffusion.steps=20 --set diffusion.checkpoint_every=10 --set scale.steps=20
          --set alt.diffusion_steps=10 --set eval.repeats=2 --set eval.ensemble=2 --set eval.batch=16
          --set data.val_count=60 --set eval.costly_limit=20
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(TIMESTAMP t1 "%s")
math(EXPR secs "${t1} - ${t0}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the tiny MNIST session failed (exit ${rc}):\n${out}")
endif()
message(STATUS "tiny MNIST session in ${DIR} (${secs} s)")
