{
    "name": "Key Account Sales Process: extension example",
    "summary": "A test-only addon showing the extension points: a milestone kind and a red flag of its own",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "kam_sales_process developers",
    "license": "LGPL-3",
    "depends": ["kam_sales_process"],
    "data": ["data/kam_example_data.xml"],
    "installable": True,
}
